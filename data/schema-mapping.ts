/**
 * Which columns of a transactions file mean what. Column names are free: the same code reads
 * `client_id, trans_date, small_group, amount_rur` and `customer_id, tr_datetime, mcc_code, tr_type, amount`.
 */

/** How a numeric column is transformed before it reaches a model. */
export type NumericTransform = 'identity' | 'log' | 'year';

/** A schema mapping, as written in `schema.json` or given with `--id/--time/--cat/--num`. */
export interface SchemaMapping {
  /** Client id column (int, bigint or string). */
  readonly id: string;
  /** Event time column (numeric, Date or Timestamp of any unit). */
  readonly time: string;
  /** Categorical columns, encoded through frequency-ranked vocabularies. @defaultValue `[]` */
  readonly categorical: readonly string[];
  /** Numeric columns. @defaultValue `[]` */
  readonly numeric: readonly string[];
  /** Transform per numeric column; columns not listed use `identity`. @defaultValue `{}` */
  readonly transforms?: Readonly<Record<string, NumericTransform>>;
  /** Optional target columns carried per client (not used for self-supervised training). @defaultValue `[]` */
  readonly targets?: readonly string[];
}
