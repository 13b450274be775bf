/**
 * Real LightGBM 4 through its C API. `trainBooster` trains; `Booster` predicts, saves, loads and
 * reports feature importance.
 */
export { Booster, type FeatureMatrix, type ImportanceKind } from './booster.js';
export { LightGBMError } from './native.js';
export { resolveLightGBMParams, toParamString, type LightGBMParams, type Metric, type Objective } from './params.js';
export { trainBooster, type TrainOptions, type TrainResult, type ValidationSet } from './train.js';
