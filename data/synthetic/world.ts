/**
 * The fixed "world" of the synthetic transactions generator: merchant categories grouped into
 * clusters, their popularity, the transaction types, and how age group and gender tilt them.
 * Everything is drawn from the seed, so one seed gives one world. See data/README.md for the
 * generative process and why each signal is there.
 */
import { Rng } from '../random.js';

/** Number of age groups (classes 0..3), as in the age-group dataset. */
export const AGE_GROUPS = 4;
/** Merchant-category clusters; the order signal lives in transitions between clusters. */
export const CLUSTERS = 20;
/** Merchant categories per cluster (CLUSTERS × this = 200 `small_group` values). */
export const PER_CLUSTER = 10;
/** Number of transaction types (`tr_type`). */
export const TR_TYPES = 24;

/** Share of clients per age group (the real dataset is roughly balanced). */
export const AGE_SHARES: readonly number[] = [0.23, 0.3, 0.26, 0.21];

/** Tunable strengths of the planted signals (defaults calibrated as described in data/README.md). */
export interface SignalStrengths {
  /** How strongly age tilts the cluster preferences (log-weight added to favoured clusters). @defaultValue `0.3` */
  readonly ageClusterTilt: number;
  /** Per-client random log-weight noise on cluster preferences (hides the age tilt). @defaultValue `0.8` */
  readonly clientClusterNoise: number;
  /** How strongly gender tilts the transaction types (log-weight). @defaultValue `0.3` */
  readonly genderTypeTilt: number;
  /** Per-client random log-weight noise on transaction types. @defaultValue `0.7` */
  readonly clientTypeNoise: number;
  /** Shift of mean log-amount per age group step (older clients spend more). @defaultValue `0.15` */
  readonly ageAmountShift: number;
  /** Range of the per-client probability of following the class's cluster transition. @defaultValue `[0.04, 0.25]` */
  readonly followRange: readonly [number, number];
}

/** Default signal strengths. */
export const DEFAULT_STRENGTHS: SignalStrengths = {
  ageClusterTilt: 0.3,
  clientClusterNoise: 0.8,
  genderTypeTilt: 0.3,
  clientTypeNoise: 0.7,
  ageAmountShift: 0.15,
  followRange: [0.04, 0.25],
};

/** Everything fixed by the seed. */
export interface World {
  /** `categoryCode[cluster * PER_CLUSTER + rank]`: the `small_group` value written to the file (shuffled, so codes do not reveal rank). */
  readonly categoryCode: Int32Array;
  /** Cumulative within-cluster category weights (Zipf over ranks), `PER_CLUSTER` per cluster. */
  readonly withinCumulative: Float64Array;
  /** `ageFavours[age * CLUSTERS + k]` = 1 when clusters `k` is favoured by `age`, -1 when disfavoured, 0 otherwise. */
  readonly ageFavours: Int8Array;
  /** Base log-weights of the transaction types (long-tailed). */
  readonly typeBase: Float64Array;
  /** `genderFavours[g * TR_TYPES + t]` in {-1, 0, 1}. */
  readonly genderFavours: Int8Array;
  /** `tr_type` codes written to the file (like 1010, 2370). */
  readonly typeCode: Int32Array;
  /** Mean log-amount per cluster. */
  readonly clusterAmount: Float64Array;
  /** `successor[(age * 2 + gender) * CLUSTERS + k]`: the cluster that class (age, gender) tends to visit after `k`. */
  readonly successor: Int32Array;
  /** Signal strengths in use. */
  readonly strengths: SignalStrengths;
}

/** Draws the world for `seed`. */
export function createWorld(seed: number, strengths: SignalStrengths = DEFAULT_STRENGTHS): World {
  const rng = new Rng(seed ^ 0x5eed_0a11);
  const categoryCode = rng.shuffle(Int32Array.from({ length: CLUSTERS * PER_CLUSTER }, (_, i) => i));
  const withinCumulative = new Float64Array(CLUSTERS * PER_CLUSTER);
  for (let k = 0; k < CLUSTERS; k++) {
    // Zipf-like ranks with a per-cluster exponent: a long tail over the 200 categories.
    const exponent = 0.8 + 0.8 * rng.next();
    let total = 0;
    for (let r = 0; r < PER_CLUSTER; r++) total += 1 / Math.pow(r + 1, exponent);
    let acc = 0;
    for (let r = 0; r < PER_CLUSTER; r++) {
      acc += 1 / Math.pow(r + 1, exponent) / total;
      withinCumulative[k * PER_CLUSTER + r] = acc;
    }
  }
  const ageFavours = new Int8Array(AGE_GROUPS * CLUSTERS);
  for (let a = 0; a < AGE_GROUPS; a++) {
    const order = rng.shuffle(Array.from({ length: CLUSTERS }, (_, i) => i));
    for (let j = 0; j < 4; j++) ageFavours[a * CLUSTERS + order[j]!] = 1;
    for (let j = 4; j < 8; j++) ageFavours[a * CLUSTERS + order[j]!] = -1;
  }
  const typeBase = Float64Array.from({ length: TR_TYPES }, (_, t) => -0.25 * t + 0.3 * rng.normal());
  const genderFavours = new Int8Array(2 * TR_TYPES);
  const typeOrder = rng.shuffle(Array.from({ length: 12 }, (_, i) => i));
  for (let j = 0; j < 6; j++) {
    genderFavours[typeOrder[j]!] = 1;
    genderFavours[TR_TYPES + typeOrder[j]!] = -1;
  }
  const typeCode = Int32Array.from({ length: TR_TYPES }, (_, t) => 1000 * (1 + (t % 7)) + 10 * (t + 1) + (t % 3) * 100);
  const clusterAmount = Float64Array.from({ length: CLUSTERS }, () => 5 + 2 * rng.next());
  const successor = new Int32Array(AGE_GROUPS * 2 * CLUSTERS);
  for (let c = 0; c < AGE_GROUPS * 2; c++) successor.set(derangement(rng, CLUSTERS), c * CLUSTERS);
  return { categoryCode, withinCumulative, ageFavours, typeBase, genderFavours, typeCode, clusterAmount, successor, strengths };
}

/** A random permutation with no fixed point, so "stay in the same cluster" is never the pattern. */
function derangement(rng: Rng, n: number): Int32Array {
  while (true) {
    const p = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    if (p.every((v, i) => v !== i)) return p;
  }
}
