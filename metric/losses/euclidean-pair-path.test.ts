/** The closed-form Euclidean pair path equals the taped tensor path (values and gradients). */
import { describe, it } from 'node:test';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import { assertClose, assertGradClose, FIXTURES, minedPairs, valueAndGrad } from '../testing/fixtures.js';
import { naiveHardNegativePairs } from '../testing/naive.js';
import type { BaseLoss } from './base-loss.js';
import { ContrastiveLoss } from './contrastive-loss.js';
import { isPlainEuclidean } from './euclidean-pair-path.js';
import { MarginLoss } from './margin-loss.js';

/** Same maths, but not the exact class, so losses take the generic taped path. */
class TapedEuclidean extends EuclideanDistance {}

const PAIRS: [string, (distance: EuclideanDistance) => BaseLoss][] = [
  ['contrastive, sum', (d) => new ContrastiveLoss({ negMargin: 0.9 }, d)],
  ['contrastive, PML form', (d) => new ContrastiveLoss({ posMargin: 0.2, negMargin: 1.1, squared: false, reduction: 'avg-non-zero' }, d)],
  ['margin, sum', (d) => new MarginLoss({ margin: 0.2, beta: 0.9 }, d)],
  ['margin, avg-non-zero', (d) => new MarginLoss({ margin: 0.3, beta: 1.0, reduction: 'avg-non-zero' }, d)],
];

describe('Euclidean pair fast path', () => {
  it('is taken only for the plain, un-normalised EuclideanDistance', () => {
    assertClose(Number(isPlainEuclidean(new EuclideanDistance())), 1);
    assertClose(Number(isPlainEuclidean(new EuclideanDistance({ normalizeEmbeddings: true }))), 0);
    assertClose(Number(isPlainEuclidean(new TapedEuclidean())), 0);
  });
  for (const [name, make] of PAIRS) {
    for (const { name: fixture, points, labels } of FIXTURES) {
      it(`${name}: same value and gradient as the taped path on ${fixture}`, () => {
        const mined = minedPairs(naiveHardNegativePairs(points, labels, 2));
        const y = Int32Array.from(labels);
        const fast = valueAndGrad(points, (x) => make(new EuclideanDistance()).call(x, y, mined));
        const taped = valueAndGrad(points, (x) => make(new TapedEuclidean()).call(x, y, mined));
        assertClose(fast.value, taped.value);
        assertGradClose(fast.grad, taped.grad, 1e-4);
      });
    }
  }
  it('gives a zero gradient (not NaN) for identical rows and for no pairs', () => {
    const same = [[0.5, 0.5], [0.5, 0.5], [0.1, 0.9]];
    // Rows 0 and 1 coincide (d = 0, below the square-root floor): their pair adds nothing.
    const { grad } = valueAndGrad(same, (x) => new ContrastiveLoss({ negMargin: 0.1 }).call(x, Int32Array.from([0, 0, 1])));
    assertGradClose(grad, [[0, 0], [0, 0], [0, 0]]);
    const empty = valueAndGrad(same, (x) => new ContrastiveLoss().call(x, Int32Array.from([0, 0, 1]), minedPairs({ a1: [], p: [], a2: [], n: [] })));
    assertGradClose(empty.grad, [[0, 0], [0, 0], [0, 0]]);
  });
});
