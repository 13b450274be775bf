#!/usr/bin/env python3
"""PyTorch side of scripts/bench-metric.ts: pytorch-lifestream's ContrastiveLoss(margin) with
HardNegativePairSelector(neg_count), forward + backward on given embeddings.

Two variants:
  ptls        - the reference code as written (outer_pairwise_distance by expand + pairwise_distance,
                topk on (u - D) * [labels differ], losses on gathered pairs, summed);
  ptls-cdist  - the same loss with the mining distance matrix from torch.cdist (the faster choice).

Reads row-major float32 embeddings from --embeddings (clients*splits x dim), labels are
client-major (arange(clients).repeat_interleave(splits)). Prints one JSON line.
"""
import argparse, json, statistics, time
import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--embeddings', required=True)
p.add_argument('--clients', type=int, default=64)
p.add_argument('--splits', type=int, default=5)
p.add_argument('--dim', type=int, default=256)
p.add_argument('--neg-count', type=int, default=5)
p.add_argument('--margin', type=float, default=0.5)
p.add_argument('--reps', type=int, default=20)
p.add_argument('--ptls-reps', type=int, default=5)  # the expand-based reference is slow
p.add_argument('--threads', type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)

n = a.clients * a.splits
data = torch.from_numpy(np.fromfile(a.embeddings, dtype=np.float32).reshape(n, a.dim).copy())
labels = torch.arange(a.clients).repeat_interleave(a.splits)


def outer_pairwise_distance(A):
    # ptls.frames.coles.metric.outer_pairwise_distance, single-block branch (n*m*d <= 2**26 here).
    n, d = A.shape
    return torch.pairwise_distance(
        A.unsqueeze(1).expand(n, n, d).reshape(1, -1, d),
        A.unsqueeze(0).expand(n, n, d).reshape(1, -1, d)).reshape(n, n)


def get_pairs(embeddings, target, distance):
    # ptls HardNegativePairSelector.get_pairs
    n = target.size(0)
    x = target.expand(n, n) - target.expand(n, n).t()
    positive_pairs = torch.nonzero(torch.triu(x == 0, diagonal=1))
    mat_distances = distance(embeddings.detach())
    upper_bound = int((2 * n) ** 0.5) + 1
    mat_distances = ((upper_bound - mat_distances) * (x != 0).type(mat_distances.dtype))
    values, indices = mat_distances.topk(k=a.neg_count, dim=0, largest=True)
    negative_pairs = torch.stack([
        torch.arange(0, n, dtype=indices.dtype).repeat(a.neg_count),
        torch.cat(indices.unbind(dim=0))]).t()
    return positive_pairs, negative_pairs


def contrastive(embeddings, target, distance):
    # ptls ContrastiveLoss.forward
    positive_pairs, negative_pairs = get_pairs(embeddings, target, distance)
    positive_loss = F.pairwise_distance(embeddings[positive_pairs[:, 0]], embeddings[positive_pairs[:, 1]]).pow(2)
    negative_loss = F.relu(a.margin - F.pairwise_distance(
        embeddings[negative_pairs[:, 0]], embeddings[negative_pairs[:, 1]])).pow(2)
    return torch.cat([positive_loss, negative_loss], dim=0).sum()


def bench(distance, reps):
    z = data.clone().requires_grad_(True)
    times = []
    loss = None
    for i in range(reps + 3):
        t0 = time.perf_counter()
        loss = contrastive(z, labels, distance)
        loss.backward()
        if i >= 3:
            times.append((time.perf_counter() - t0) * 1000)
        z.grad = None
    return statistics.median(times), min(times), float(loss)


ptls_ms, ptls_min, ptls_loss = bench(outer_pairwise_distance, a.ptls_reps)
cdist_ms, cdist_min, cdist_loss = bench(lambda e: torch.cdist(e, e), a.reps)
print(json.dumps({
    'engine': f'torch {torch.__version__}', 'threads': a.threads,
    'ptls_ms_median': round(ptls_ms, 2), 'ptls_loss': ptls_loss,
    'cdist_ms_median': round(cdist_ms, 2), 'cdist_ms_min': round(cdist_min, 2), 'cdist_loss': cdist_loss}))
