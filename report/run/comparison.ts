/**
 * Reads the A/B comparison (`report.json` written by `meles compare`) back into the
 * {@link ComparisonView} the `meles compare` report itself shows, so the run report's A/B table is
 * the same table. Only the fields the view needs are checked; anything else in the file (fold
 * scores, parameters, splits) is left alone.
 */
import { z } from 'zod';
import { readJsonFile } from '../../data/json-file.js';
import { comparisonView, type ComparisonSource, type ComparisonView, type ScorePart } from '../comparison-view.js';

/** NaN and ±Infinity have no JSON form; `JSON.stringify` wrote them as null. */
const number = z.number().nullable().transform((v) => v ?? NaN);
const metric = z.enum(['accuracy', 'auroc']);
const part = z.enum(['valid', 'test']);
const summary = z.looseObject({ mean: number, std: number, halfWidth: number });

const reportSchema = z.looseObject({
  protocol: z.looseObject({ folds: z.number().int(), testFraction: z.number().optional() }).optional(),
  results: z.array(z.looseObject({
    set: z.string().min(1),
    target: z.string().min(1),
    metrics: z.array(z.looseObject({ metric, valid: summary, test: summary })).min(1),
  })).min(1),
  comparisons: z.array(z.looseObject({
    set: z.string(),
    baseline: z.string(),
    target: z.string(),
    metric,
    part,
    // Reports written before t was shown may lack it.
    test: z.looseObject({ meanDiff: number, t: z.number().nullish().transform((v) => v ?? NaN), pValue: number }),
  })).default([]),
  baseline: z.string().optional(),
  warnings: z.array(z.string()).default([]),
}) satisfies z.ZodType<ComparisonSource, unknown>;

export type { ScorePart } from '../comparison-view.js';

/**
 * Reads a comparison report and returns the view of `part`.
 * @param part - which scores to show. @defaultValue `'test'` (as `meles compare`'s report and ptls)
 * @throws DataFormatError naming the file and the first invalid field.
 */
export async function readComparison(path: string, part: ScorePart = 'test'): Promise<ComparisonView> {
  return comparisonView(await readJsonFile(path, 'a comparison report', reportSchema), part);
}
