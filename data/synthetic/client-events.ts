/**
 * Draws one client's targets and events from the synthetic world (see data/README.md):
 * a cluster Markov chain whose transitions depend on (age, gender) — the order signal — mixed
 * with client preferences tilted by age and transaction types tilted by gender — the
 * frequency signal — plus amounts and increasing event times.
 */
import type { Rng } from '../random.js';
import { AGE_GROUPS, AGE_SHARES, CLUSTERS, PER_CLUSTER, TR_TYPES, type World } from './world.js';

/** Column buffers that clients append their events to. */
export interface EventBuffers {
  /** `client_id` per event. */
  readonly client: Int32Array;
  /** `trans_date` per event (days, fractional). */
  readonly time: Float64Array;
  /** `small_group` (merchant category code) per event. */
  readonly smallGroup: Int32Array;
  /** `tr_type` code per event. */
  readonly trType: Int32Array;
  /** `amount_rur` per event. */
  readonly amount: Float32Array;
}

/** A client's targets. */
export interface ClientTargets {
  /** Age group 0..3. */
  readonly age: number;
  /** Gender 0/1. */
  readonly gender: number;
}

const clusterCumulative = new Float64Array(CLUSTERS);
const typeCumulative = new Float64Array(TR_TYPES);

/** Draws the targets of one client. */
export function drawTargets(rng: Rng): ClientTargets {
  let u = rng.next();
  let age = 0;
  while (age < AGE_GROUPS - 1 && u >= AGE_SHARES[age]!) u -= AGE_SHARES[age++]!;
  return { age, gender: rng.next() < 0.5 ? 1 : 0 };
}

/**
 * Writes `count` events of client `id` into `out` from index `at`, in time order.
 * Times are days (fractional) from the start of a two-year window.
 */
export function drawClientEvents(world: World, rng: Rng, id: number, targets: ClientTargets, count: number, out: EventBuffers, at: number): void {
  const s = world.strengths;
  const { age, gender } = targets;
  fillCumulative(clusterCumulative, (k) => s.ageClusterTilt * world.ageFavours[age * CLUSTERS + k]! + s.clientClusterNoise * rng.normal());
  fillCumulative(typeCumulative, (t) => world.typeBase[t]! + s.genderTypeTilt * world.genderFavours[gender * TR_TYPES + t]! + s.clientTypeNoise * rng.normal());
  const follow = s.followRange[0] + (s.followRange[1] - s.followRange[0]) * rng.next();
  const successor = (age * 2 + gender) * CLUSTERS;
  const amountLevel = s.ageAmountShift * age + 0.35 * rng.normal();
  const meanGap = 700 / count;
  let time = 30 * rng.next();
  let cluster = draw(clusterCumulative, rng.next());
  for (let i = 0; i < count; i++) {
    if (i > 0) cluster = rng.next() < follow ? world.successor[successor + cluster]! : draw(clusterCumulative, rng.next());
    const rank = drawWithin(world.withinCumulative, cluster * PER_CLUSTER, rng.next());
    const j = at + i;
    out.client[j] = id;
    out.time[j] = time;
    out.smallGroup[j] = world.categoryCode[cluster * PER_CLUSTER + rank]!;
    out.trType[j] = world.typeCode[draw(typeCumulative, rng.next())]!;
    out.amount[j] = Math.round(Math.exp(world.clusterAmount[cluster]! + amountLevel + 0.6 * rng.normal()) * 100) / 100;
    time += -Math.log(1 - rng.next()) * meanGap;
  }
}

/** Cumulative softmax of `logWeight(i)` into `out`. */
function fillCumulative(out: Float64Array, logWeight: (i: number) => number): void {
  let total = 0;
  for (let i = 0; i < out.length; i++) {
    total += Math.exp(logWeight(i));
    out[i] = total;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / total;
}

function draw(cumulative: Float64Array, u: number): number {
  let i = 0;
  while (i < cumulative.length - 1 && u >= cumulative[i]!) i++;
  return i;
}

function drawWithin(cumulative: Float64Array, start: number, u: number): number {
  let r = 0;
  while (r < PER_CLUSTER - 1 && u >= cumulative[start + r]!) r++;
  return r;
}
