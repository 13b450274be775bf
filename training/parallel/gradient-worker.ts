/**
 * A gradient worker thread (see worker-protocol.ts): its own tfjs backend (started first, so a worker
 * can warm up before the model exists) and a copy of the model (built from the model message),
 * overwritten with the training thread's weights before every step; computes the weight gradients
 * of one shard of the batch given the loss gradient for the shard's embeddings.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../encoders/backend.js';
import { SequenceModel } from '../../encoders/sequence-model.js';
import { PhaseClock } from './phase-clock.js';
import { EMBEDDING_GRADIENT, EMBEDDINGS, FAILED, type GradientWorkerData, type NamedValues, raiseFlag, READY, type ShardJob, waitForFlag, type WorkerMessage, type WorkerReply } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('gradient-worker.ts runs only as a worker thread');
const { backend } = workerData as GradientWorkerData;
const started = await initBackend(backend, { quiet: true });
// Built when the model message arrives; its seed does not matter: every step starts by copying
// the training thread's weights.
let model: SequenceModel | null = null;
let byName = new Map<string, tf.Variable>();
let modelError: Error | null = null;

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

port.on('message', (message: WorkerMessage) => {
  if (message.kind === 'model') {
    try {
      model?.dispose();
      model = new SequenceModel(message.config, 0);
      byName = new Map(model.parameters().map((p) => [p.name, p.variable]));
      modelError = null;
    } catch (error) {
      model = null;
      modelError = error instanceof Error ? error : new Error(String(error));
    }
    return;
  }
  const control = new Int32Array(message.control);
  const clock = new PhaseClock(message.timed);
  clock.mark('worker/job-received');
  try {
    if (model === null) throw modelError ?? new Error('no model was sent before the first job');
    const gradients = runShard(model, message, control, clock);
    reply({ kind: 'gradients', gradients, marks: clock.take() });
  } catch (error) {
    // Wake the training thread if it is still waiting for our embeddings.
    if (Atomics.load(control, EMBEDDINGS) !== READY) raiseFlag(control, EMBEDDINGS, FAILED);
    reply({ kind: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
});
reply({ kind: 'ready', backend: started });

function runShard(model: SequenceModel, job: ShardJob, control: Int32Array, clock: PhaseClock): NamedValues[] {
  for (const { name, values } of job.weights) {
    const variable = byName.get(name);
    if (variable === undefined) throw new Error(`The worker's model has no parameter \`${name}\``);
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
  }
  clock.mark('worker/weights-copied');
  const names = job.trainable.filter((name) => byName.has(name));
  const variables = names.map((name) => byName.get(name)!);
  const rows = job.shard.size;
  const { value, grads } = tf.variableGrads(() => {
    const embeddings = model.forward(model.pack(job.shard), { training: true, shared: job.shared });
    new Float32Array(job.embeddings).set(embeddings.dataSync());
    raiseFlag(control, EMBEDDINGS, READY);
    clock.mark('worker/forward');
    waitForFlag(control, EMBEDDING_GRADIENT, 'the loss gradient of its embeddings');
    clock.mark('worker/loss-gradient-received');
    const dEmbeddings = tf.tensor2d(new Float32Array(job.embeddingGradient).slice(), [rows, model.width]);
    // d/dθ Σ E∘dE is dEᵀ·dE/dθ: the shard's share of the whole batch's weight gradient.
    return tf.sum(tf.mul(embeddings, dEmbeddings));
  }, variables);
  value.dispose();
  clock.mark('worker/backward');
  const byVariable = new Map(variables.map((v, i) => [v.name, names[i]!]));
  const out: NamedValues[] = [];
  for (const [variableName, gradient] of Object.entries(grads)) {
    out.push({ name: byVariable.get(variableName)!, values: gradient.dataSync() as Float32Array });
    gradient.dispose();
  }
  clock.mark('worker/gradients-written');
  return out;
}
