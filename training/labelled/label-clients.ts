/**
 * Joins a label file's target (data/label-file.ts `readTargets`) to the clients of a sequence set
 * by the canonical id text (`7` matches an Int32 or Int64 id 7): the labelled clients, their label
 * indices and the task. Only clients with a label train.
 */
import { clientCount, clientIdAt, type SequenceSet } from '../../data/sequence-set.js';
import type { Target } from '../../data/label-file.js';
import { DataFormatError } from '../../errors.js';
import type { LabelledTask } from './train-labelled.js';

/** The labelled clients of one target. */
export interface LabelledClients {
  /** Indices into the sequence set, in data order. */
  readonly clients: Int32Array;
  /** Label index per entry of `clients`. */
  readonly labels: Int32Array;
  readonly task: LabelledTask;
}

/**
 * @param source - the label file, for messages
 * @throws DataFormatError when a label is NaN, a labelled id is not in the data, or the labelled
 *   clients have fewer than two classes.
 */
export function labelledClients(data: SequenceSet, target: Target, source: string): LabelledClients {
  const where = `${source}: target \`${target.column}\` (${target.kind})`;
  const nan = target.classes.findIndex((c) => /^[-+]?nan$/i.test(c));
  if (nan >= 0) {
    const count = target.labels.filter((l) => l === nan).length;
    throw new DataFormatError(`${where}: expected class labels, found ${count} NaN value(s) (e.g. client \`${target.keys[target.labels.indexOf(nan)]}\`); leave unlabelled clients empty or null`);
  }
  const indexOf = new Map<string, number>();
  for (let c = 0; c < clientCount(data); c++) indexOf.set(String(clientIdAt(data.ids, c)), c);
  const missing: string[] = [];
  const pairs: [number, number][] = [];
  target.keys.forEach((key, i) => {
    const c = indexOf.get(key);
    if (c === undefined) missing.push(key);
    else pairs.push([c, target.labels[i]!]);
  });
  if (missing.length > 0) {
    throw new DataFormatError(
      `${where}: expected every labelled id in the transactions data, found ${missing.length} that are not (e.g. ${missing.slice(0, 3).map((k) => `\`${k}\``).join(', ')}); ` +
        'give a label file for these clients only, or data that includes them',
    );
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const labels = Int32Array.from(pairs, (p) => p[1]);
  const present = new Set(labels);
  if (present.size < 2) {
    throw new DataFormatError(`${where}: expected at least 2 classes among the ${pairs.length} labelled clients, found ${present.size}${present.size === 1 ? ` (\`${target.classes[labels[0]!]}\`)` : ''}`);
  }
  return { clients: Int32Array.from(pairs, (p) => p[0]), labels, task: { column: target.column, kind: target.kind, classes: target.classes } };
}
