/**
 * Ingest: reads the whole transactions file through the data layer (which validates every mapped
 * column and fails with a message naming file, column, expected and found), and stores the
 * vocabularies, a data summary and the grouped, encoded events (`sequences.bin`, see
 * sequence-file.ts), from which each embed shard reads only its own clients. Downstream stages
 * run only after this succeeds.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readSequences } from '../../data/read-sequences.js';
import { saveVocabularies } from '../../data/vocabulary.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { clientCount } from '../../data/sequence-set.js';
import { encodingKey, writeSequenceFile } from '../../data/sequence-file.js';
import type { StageDefinition } from '../stage.js';

/** What ingest depends on. */
export interface IngestParams {
  /** Transactions file. */
  readonly data: string;
  /** Column mapping. */
  readonly schema: SchemaMapping;
}

const resultSchema = z.object({ rows: z.number(), clients: z.number(), events: z.number() });

/** Ingest's result (also written to `summary.json`). */
export type IngestResult = z.infer<typeof resultSchema>;

/** File names inside the ingest directory. */
export const INGEST_FILES = { vocabularies: 'vocabularies.json', summary: 'summary.json', sequences: 'sequences.bin' } as const;

/** The ingest stage. */
export const ingestStage: StageDefinition<IngestParams, IngestResult> = {
  name: 'ingest',
  resultSchema,
  inputs: (params) => ({ data: params.data }),
  async run(params, ctx) {
    ctx.progress({ fraction: 0, message: 'reading' });
    const read = await readSequences(params.data, params.schema, {
      onBatch: (rows: number) => ctx.progress({ fraction: 0.5, message: `${rows} rows` }),
    });
    await saveVocabularies(join(ctx.workDir, INGEST_FILES.vocabularies), read.vocabularies);
    await writeSequenceFile(join(ctx.workDir, INGEST_FILES.sequences), read.sequences, encodingKey(ctx.inputHashes.data!, params.schema, read.vocabularies));
    const result: IngestResult = {
      rows: read.rows,
      clients: clientCount(read.sequences),
      events: read.sequences.offsets[clientCount(read.sequences)] ?? 0,
    };
    await writeFile(join(ctx.workDir, INGEST_FILES.summary), `${JSON.stringify(result, null, 2)}\n`);
    ctx.progress({ fraction: 1, message: `${result.clients} clients` });
    return result;
  },
};
