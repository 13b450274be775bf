/**
 * Reading a supervised or fine-tuned model directory: the encoder (model-files.ts), the head
 * (`head.bin`) and the task (`task.json`), each file checked against model.json's checksum.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../../data/json-file.js';
import { readTensorFile } from '../../data/tensor-file.js';
import { ConfigError, DataFormatError } from '../../errors.js';
import { parseModelChecksums, verifyModelFile } from '../model-checksums.js';
import { loadModelDirectory, type ModelDirectoryContents, readJson } from '../model-files.js';
import { LabelledHead } from './labelled-head.js';
import type { LabelledTask } from './train-labelled.js';

/** A loaded labelled model; {@link LabelledModel.dispose} frees encoder and head. */
export interface LabelledModel extends ModelDirectoryContents {
  readonly task: LabelledTask;
  readonly head: LabelledHead;
  dispose(): void;
}

const taskSchema = z.object({
  formatVersion: z.literal(1),
  column: z.string(),
  kind: z.enum(['binary', 'multiclass']),
  classes: z.array(z.string()).min(2),
  head: z.array(z.unknown()),
});

/**
 * Loads `dir` written by `trainLabelled`.
 * @throws ConfigError when `dir` has no `task.json` (an unsupervised model: no head to predict with);
 *   DataFormatError for a damaged file.
 */
export async function loadLabelledModel(dir: string): Promise<LabelledModel> {
  const contents = await loadModelDirectory(dir);
  try {
    const meta = (await readJson(join(dir, 'model.json'), 'model description')) as Record<string, unknown>;
    const checksums = parseModelChecksums(meta.checksums, join(dir, 'model.json'));
    const taskPath = join(dir, 'task.json');
    const raw = await readJsonFile(taskPath, 'labelled task', z.unknown(), {
      unreadableErrorClass: ConfigError,
      unreadableHint: 'only supervised and fine-tuned models have a head to predict with',
    });
    await verifyModelFile(dir, 'task.json', checksums);
    await verifyModelFile(dir, 'head.bin', checksums);
    const parsed = taskSchema.safeParse(raw);
    if (!parsed.success) throw new DataFormatError(`${taskPath}: expected {formatVersion: 1, column, kind, classes, head}, found a problem at ${parsed.error.issues[0]!.path.join('.') || 'the file'}: ${parsed.error.issues[0]!.message}`);
    const task = parsed.data;
    // A head saved with `head/mean` standardises its input; the placeholder statistics are overwritten below.
    const width = contents.model.width;
    const standardizes = task.head.some((entry) => typeof entry === 'object' && entry !== null && (entry as { name?: unknown }).name === 'head/mean');
    const placeholder = standardizes ? { mean: new Float32Array(width), std: new Float32Array(width).fill(1) } : undefined;
    const head = new LabelledHead(width, task.kind, task.classes.length, 0, placeholder);
    try {
      head.setWeights(await readTensorFile(join(dir, 'head.bin'), task.head));
    } catch (error) {
      head.dispose();
      throw new DataFormatError(`${join(dir, 'head.bin')}: ${(error as Error).message}`, { cause: error });
    }
    return {
      ...contents,
      task: { column: task.column, kind: task.kind, classes: task.classes },
      head,
      dispose: () => {
        head.dispose();
        contents.model.dispose();
      },
    };
  } catch (error) {
    contents.model.dispose();
    throw error;
  }
}
