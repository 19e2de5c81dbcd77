/** Runs the shared bijector conformance suite on every transform and a few compositions. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@calozoo/core';
import { forEachBackend } from '@calozoo/core/testing';
import type { Bijector } from './bijector.js';
import { compose } from './bijector.js';
import { ActNorm } from './actnorm.js';
import { AutoregressiveLayer } from './autoregressive.js';
import { BatchNorm } from './batch-norm.js';
import { CouplingLayer } from './coupling.js';
import { ElementwiseLayer } from './elementwise-layer.js';
import { LuLinear } from './lu-linear.js';
import { Permutation, randomPermutation, reversePermutation } from './permutation.js';
import { rqsKnots } from './rqs.js';
import { bijectorConformance, perturbVariables } from './testing.js';

const rqs = { kind: 'rqs', bins: 6, tailBound: 2 } as const;
const affine = { kind: 'affine' } as const;
const B = rqs.tailBound;

/** Builds with a fixed seed and moves the weights away from the near-identity initialisation. */
function perturbed(make: (rng: Rng) => Bijector, scale = 0.15): () => Bijector {
  return () => {
    const b = make(new Rng(7));
    perturbVariables(b, new Rng(8), scale);
    return b;
  };
}

/** Rows in the linear tails, straddling ±B, and exactly at ±B. */
function tailPoints(dim: number): number[][] {
  return [
    Array.from({ length: dim }, (_, i) => (i % 2 ? 1 : -1) * (B + 0.7)),
    Array.from({ length: dim }, (_, i) => (i % 2 ? -1 : 1) * (B + 3)),
    Array.from({ length: dim }, (_, i) => (i % 2 ? B : -B)),
    Array.from({ length: dim }, (_, i) => (i % 3 === 0 ? B + 1 : 0.3 * i - 0.5)),
  ];
}

// Element-wise spline with free parameters: check at every interior knot (bin edges) too.
const makeSpline = perturbed((rng) => new ElementwiseLayer(3, 0, { transform: rqs, hiddenFeatures: 8 }, rng), 1.0);
const knotPoints = (() => {
  const b = makeSpline();
  const p = b.variables!().params as tf.Tensor2D;
  const xk = rqsKnots(tf.expandDims(p, 0) as tf.Tensor3D, rqs).xk.arraySync()[0];
  const rows: number[][] = [];
  for (let k = 1; k < rqs.bins; k++) rows.push(xk.map((f) => f[k]));
  return rows;
})();

// Every transform on every backend available here (wasm and cpu; native TensorFlow when built).
await forEachBackend(() => {
  bijectorConformance(makeSpline, { dim: 3, name: 'elementwise rqs', points: [...knotPoints, ...tailPoints(3)] });
  bijectorConformance(perturbed((rng) => new ElementwiseLayer(3, 0, { transform: affine, hiddenFeatures: 8 }, rng), 1.0), {
    dim: 3,
    name: 'elementwise affine',
  });
  bijectorConformance(perturbed((rng) => new ElementwiseLayer(2, 2, { transform: rqs, hiddenFeatures: 8 }, rng)), {
    dim: 2,
    contextDim: 2,
    name: 'elementwise rqs with context',
    points: tailPoints(2),
  });
  for (const transform of [rqs, affine]) {
    for (const contextDim of [0, 3]) {
      bijectorConformance(
        perturbed((rng) => new CouplingLayer(5, contextDim, { identityFeatures: 'even', transform, hiddenFeatures: 16, numBlocks: 2 }, rng)),
        { dim: 5, contextDim, name: `coupling ${transform.kind}`, points: tailPoints(5) },
      );
      bijectorConformance(perturbed((rng) => new AutoregressiveLayer(4, contextDim, { transform, hiddenFeatures: 16, numBlocks: 2 }, rng)), {
        dim: 4,
        contextDim,
        name: `autoregressive ${transform.kind}`,
        points: tailPoints(4),
      });
    }
  }
  bijectorConformance(perturbed((rng) => new AutoregressiveLayer(1, 2, { transform: rqs, hiddenFeatures: 8, numBlocks: 1 }, rng)), {
    dim: 1,
    contextDim: 2,
    name: 'autoregressive rqs 1-D',
    points: tailPoints(1),
  });
  bijectorConformance(() => new Permutation(reversePermutation(5)), { dim: 5, name: 'reverse permutation' });
  bijectorConformance(() => new Permutation(randomPermutation(5, new Rng(3))), { dim: 5, name: 'random permutation' });
  bijectorConformance(perturbed(() => new LuLinear(6), 0.3), { dim: 6, name: 'LU linear' });
  bijectorConformance(perturbed(() => new ActNorm(4)), { dim: 4, name: 'actnorm' });
  bijectorConformance(
    () => {
      const b = new BatchNorm(4, { momentum: 0.1, eps: 1e-5 });
      perturbVariables(b, new Rng(9), 0.5);
      const v = b.variables();
      v.runningMean.assign(tf.tensor1d([0.5, -1, 0, 2]));
      v.runningVar.assign(tf.tensor1d([0.5, 2, 1, 3]));
      return b;
    },
    { dim: 4, name: 'batch norm (evaluation mode)' },
  );
  bijectorConformance(
    perturbed((rng) =>
      compose(
        new CouplingLayer(4, 2, { identityFeatures: 'even', transform: rqs, hiddenFeatures: 16, numBlocks: 1 }, rng.fork()),
        new Permutation(randomPermutation(4, rng)),
        new LuLinear(4),
        new CouplingLayer(4, 2, { identityFeatures: 'odd', transform: rqs, hiddenFeatures: 16, numBlocks: 1 }, rng.fork()),
        new ActNorm(4),
      ),
    ),
    { dim: 4, contextDim: 2, name: 'composition', points: tailPoints(4) },
  );
});
