/**
 * Fine-tuning settings measured on held folds, never on the test part: the split plan of
 * `meles compare` / `meles experiment` (5 stratified folds, 10% test part, seed 42), one
 * fine-tuned model per chosen fold trained on that fold's training clients and scored on the held
 * fold. This is how the `models` experiment's fine-tuning settings were chosen (docs/RESULTS.md);
 * compare against LightGBM's held-fold scores on the same split (`meles evaluate --features
 * EMBEDDINGS ...`, `foldScores` in its report.json).
 *
 *   npx tsx scripts/finetune-held-folds.ts --model runs/exp/variants/<hash>/train/model \
 *     [--data runs/exp/data/2000-42] [--target age_group|gender] [--folds 1,2] [--epochs 10] \
 *     [--slice 50:200|none] [--head-lr 0.002] [--encoder-lr 0.0001] [--standardize true|false] \
 *     [--freeze false] [--out runs/held-folds]
 *
 * `--data` is a directory written by `meles generate` (transactions.arrow, targets.arrow).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readTargets } from '../data/label-file.js';
import { readSequences } from '../data/read-sequences.js';
import { clientCount, clientIdAt } from '../data/sequence-set.js';
import { metricsFor, scoreMetric } from '../downstream/evaluation/fold-scores.js';
import { planSplits } from '../downstream/evaluation/split-plan.js';
import { initBackend } from '../encoders/backend.js';
import { predictLabelled } from '../training/labelled/predict-labelled.js';
import { trainLabelled } from '../training/labelled/train-labelled.js';
import { loadModelDirectory } from '../training/model-files.js';
import { resolveTrainingOptions, type TrainingConfigInput } from '../training/training-options.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string', default: 'runs/exp/data/2000-42' },
    target: { type: 'string', default: 'age_group' },
    folds: { type: 'string', default: '1,2' },
    epochs: { type: 'string', default: '10' },
    slice: { type: 'string', default: '50:200' },
    'head-lr': { type: 'string', default: '0.002' },
    'encoder-lr': { type: 'string', default: '0.0001' },
    standardize: { type: 'string', default: 'true' },
    freeze: { type: 'string', default: 'false' },
    out: { type: 'string', default: 'runs/held-folds' },
  },
});
if (values.model === undefined) throw new Error('Expected --model DIR (a MeLES or CPC model directory)');
const modelDir = values.model;
const kind = values.target === 'age_group' ? 'multiclass' : 'binary';
const splitter: TrainingConfigInput['splitter'] =
  values.slice === 'none' ? { kind: 'none' } : { kind: 'slices', splitCount: 1, cntMin: Number(values.slice.split(':')[0]), cntMax: Number(values.slice.split(':')[1]) };
const options = resolveTrainingOptions('finetune-held-folds', { method: 'supervised', seed: 42, epochs: Number(values.epochs), learningRate: Number(values['head-lr']), splitter });
const finetune = {
  encoderLearningRate: Number(values['encoder-lr']),
  headLearningRate: Number(values['head-lr']),
  freezeEncoder: values.freeze === 'true',
  standardizeEmbedding: values.standardize === 'true',
};

await initBackend('auto', { quiet: true });
const loaded = await loadModelDirectory(modelDir);
loaded.model.dispose();
const { sequences: data } = await readSequences(join(values.data, 'transactions.arrow'), loaded.schema, { vocabularies: loaded.vocabularies });
const { targets } = await readTargets(join(values.data, 'targets.arrow'), 'client_id', [{ column: values.target, kind }]);
const target = targets[0]!;
const indexOf = new Map<string, number>();
for (let c = 0; c < clientCount(data); c++) indexOf.set(String(clientIdAt(data.ids, c)), c);
const plan = planSplits(target.keys, Int32Array.from(target.labels), { folds: 5, testFraction: 0.1, seed: 42 });
const pick = (rows: readonly number[]) => ({ clients: Int32Array.from(rows, (r) => indexOf.get(target.keys[r]!)!), labels: Int32Array.from(rows, (r) => target.labels[r]!) });
const metric = metricsFor(kind)[0]!;
const scores: number[] = [];
const started = performance.now();
for (const fold of values.folds.split(',').map(Number)) {
  const train = pick(plan.training[fold - 1]!);
  const held = pick(plan.folds[fold - 1]!);
  const result = await trainLabelled({
    data, vocabularies: loaded.vocabularies, schema: loaded.schema, clients: train.clients, labels: train.labels,
    task: { column: target.column, kind, classes: target.classes }, init: { kind: 'pretrained', modelDir }, options, finetune,
    outDir: join(values.out, `${values.target}-fold-${fold}`),
  });
  const score = scoreMetric(metric, await predictLabelled(result.modelDir, data, held.clients), held.labels, target.classes.length);
  scores.push(score);
  console.log(`fold ${fold}: held-fold ${metric} ${score.toFixed(4)}; training loss by epoch ${result.epochs.map((e) => e.loss.toFixed(3)).join(' ')}`);
}
const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
console.log(`${values.target} ${metric} mean over folds ${values.folds}: ${mean.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s) with ${JSON.stringify({ ...finetune, epochs: options.epochs, splitter })}`);
