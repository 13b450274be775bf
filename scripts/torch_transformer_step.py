#!/usr/bin/env python3
"""PyTorch reference for the Transformer row of scripts/bench-train.ts.

Same batch and loss as ../shared/bench/torch_meles_step.py (64 clients x 5 slices, lengths
25-200, category ids over a vocabulary of 250 embedded in 16 dims, one log-scaled amount,
contrastive loss with margin 0.5 over all positive pairs and the 5 hardest negatives per anchor,
Adam), with the sequence encoder of meles' `encoders/transformer-encoder.ts` instead of the RNN:
a linear projection of the event vector to `hidden`, sinusoidal positions (step 0 = first event),
a learnable CLS token in front, pre-norm torch.nn.TransformerEncoder layers (no dropout, ReLU
feed-forward of width `hidden`), a final LayerNorm, the CLS output L2-normalised. Padding keys
are masked with `src_key_padding_mask`; every sequence is padded to the batch's longest, as
pytorch-lifestream does, or with `--blocks N` like meles: sequences sorted by length, attended in
blocks of N, each padded only to its own longest (the same work meles does).

Embedding runs under `no_grad` in eval mode (PyTorch's fast inference path for encoder layers).
Prints one JSON line in the reference script's format; run it with OPENBLAS_NUM_THREADS=1.
Needs Debian's python3-torch (and libopenblas0-pthread for a fair BLAS).
"""
import argparse, json, math, statistics, time
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--clients', type=int, default=64)      # clients per batch
p.add_argument('--splits', type=int, default=5)        # slices per client
p.add_argument('--min-len', type=int, default=25)
p.add_argument('--max-len', type=int, default=200)
p.add_argument('--vocab', type=int, default=250)
p.add_argument('--emb', type=int, default=16)
p.add_argument('--hidden', type=int, default=256)
p.add_argument('--heads', type=int, default=4)
p.add_argument('--layers', type=int, default=1)
p.add_argument('--feed-forward', type=int, default=0, help='0 = hidden, as meles defaults')
p.add_argument('--blocks', type=int, default=0, help='0 = pad the whole batch; N = length-sorted blocks of N')
p.add_argument('--neg-count', type=int, default=5)
p.add_argument('--margin', type=float, default=0.5)
p.add_argument('--steps', type=int, default=8)
p.add_argument('--threads', type=int, default=1)
p.add_argument('--seed', type=int, default=0)
a = p.parse_args()
torch.set_num_threads(a.threads)
g = torch.Generator().manual_seed(a.seed)

# The batch exactly as the reference script draws it (same seed, same order of draws).
B = a.clients * a.splits
lens = torch.randint(a.min_len, a.max_len + 1, (B,), generator=g)
T = int(lens.max())
cat = torch.randint(1, a.vocab, (B, T), generator=g)
amt = torch.randn(B, T, generator=g).exp() * 100
mask = torch.arange(T)[None, :] < lens[:, None]
cat = cat * mask
amt = amt * mask
labels = torch.arange(a.clients).repeat_interleave(a.splits)


def sinusoidal(length, d):
    """Vaswani et al. positions, laid out as meles' `positions()`: sin at even, cos at odd columns."""
    t = torch.arange(length, dtype=torch.float32)[:, None]
    j = torch.arange(0, d, 2, dtype=torch.float32)[None, :]
    angle = t / torch.pow(10000.0, j / d)
    pe = torch.zeros(length, d)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d // 2])
    return pe


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        d = a.hidden
        self.emb = torch.nn.Embedding(a.vocab, a.emb, padding_idx=0)
        self.inp = torch.nn.Linear(a.emb + 1, d)
        self.cls = torch.nn.Parameter(torch.randn(1, 1, d, generator=g) / math.sqrt(d))
        layer = torch.nn.TransformerEncoderLayer(
            d, a.heads, a.feed_forward or d, dropout=0.0, batch_first=True, norm_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, a.layers, norm=torch.nn.LayerNorm(d))
        self.register_buffer('pe', sinusoidal(T, d))

    def forward(self, cat, amt, lens):
        if a.blocks <= 0:
            return self.encode(cat, amt, lens)
        # meles' layout: longest first, blocks of `a.blocks`, each cut to its own longest.
        order = torch.argsort(lens, descending=True)
        outs = []
        for start in range(0, len(order), a.blocks):
            idx = order[start:start + a.blocks]
            width = int(lens[idx].max())
            outs.append(self.encode(cat[idx, :width], amt[idx, :width], lens[idx]))
        z = torch.empty(len(order), a.hidden)
        return z.index_copy(0, order, torch.cat(outs))

    def encode(self, cat, amt, lens):
        valid = torch.arange(cat.shape[1])[None, :] < lens[:, None]
        x = torch.cat([self.emb(cat), (amt.sign() * amt.abs().log1p()).unsqueeze(-1)], -1)
        x = self.inp(x) + self.pe[: x.shape[1]]
        x = torch.cat([self.cls.expand(x.shape[0], 1, -1), x], 1)
        # True = ignore this key: the CLS slot is always kept, then padding after each length.
        ignore = torch.cat([torch.zeros(x.shape[0], 1, dtype=torch.bool), ~valid], 1)
        out = self.enc(x, src_key_padding_mask=ignore)
        return F.normalize(out[:, 0], dim=1)


def contrastive_hard_negative(z, y):
    """Identical to the reference script's loss."""
    d = torch.cdist(z, z)
    same = y[:, None] == y[None, :]
    pos = torch.triu(same, 1)
    pos_loss = d[pos].pow(2)
    dn = d.masked_fill(same, float('inf'))
    hard = dn.topk(a.neg_count, dim=1, largest=False).values
    neg_loss = F.relu(a.margin - hard).pow(2).flatten()
    return torch.cat([pos_loss, neg_loss]).sum() / (pos_loss.numel() + neg_loss.numel())


model = Encoder()
opt = torch.optim.Adam(model.parameters(), lr=0.002)
train_ms = []
for i in range(a.steps + 2):
    t0 = time.perf_counter()
    loss = contrastive_hard_negative(model(cat, amt, lens), labels)
    opt.zero_grad(); loss.backward(); opt.step()
    if i >= 2: train_ms.append((time.perf_counter() - t0) * 1000)
model.eval()
embed_ms = []
with torch.no_grad():
    for i in range(a.steps + 2):
        t0 = time.perf_counter()
        model(cat, amt, lens)
        if i >= 2: embed_ms.append((time.perf_counter() - t0) * 1000)
events = int(lens.sum())
print(json.dumps({
    'engine': f'torch {torch.__version__}', 'threads': a.threads, 'batch_seqs': B, 'padded_len': T,
    'events': events, 'hidden': a.hidden, 'cell': 'transformer', 'layers': a.layers, 'heads': a.heads,
    'feed_forward': a.feed_forward or a.hidden, 'blocks': a.blocks,
    'train_step_ms_median': round(statistics.median(train_ms), 1),
    'embed_batch_ms_median': round(statistics.median(embed_ms), 1),
    'train_events_per_s': round(events / statistics.median(train_ms) * 1000),
    'embed_events_per_s': round(events / statistics.median(embed_ms) * 1000),
    'loss': round(float(loss), 4)}))
