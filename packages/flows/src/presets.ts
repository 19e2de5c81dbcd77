/**
 * Ready-made flow configurations used by the model packages. Each returns a full `FlowConfig`
 * (permutation orders drawn from the seed and written out), so the saved config reproduces it.
 */
import { InvalidArgumentError, Rng } from '@calozoo/core';
import { FLOW_FORMAT_VERSION, type FlowConfig, type LayerConfig } from './config.js';
import { randomPermutation, reversePermutation } from './permutation.js';

/** Options shared by the presets. */
export interface PresetOptions {
  /** Seed of the weight initialisation and the random permutations (default 0). */
  seed?: number;
}

function checkDims(name: string, dim: number, contextDim: number): void {
  if (!Number.isInteger(dim) || dim < 2) throw new InvalidArgumentError(`${name}: dim must be an integer ≥ 2, got ${dim}`);
  if (!Number.isInteger(contextDim) || contextDim < 0) throw new InvalidArgumentError(`${name}: contextDim must be a non-negative integer, got ${contextDim}`);
}

/**
 * A rational-quadratic spline coupling flow (as in arXiv:2211.15380, field-reference.md §4.7): 4 coupling layers
 * (8 bins, tail bound 1, linear tails) with alternating masks, even indices conditioned on first;
 * each conditioner a ResidualNet with 3 blocks of 64 units and the context gating every block;
 * after each coupling a random permutation and an LU linear map. Inputs should lie in [−1, 1].
 */
export function couplingSplinePreset(dim: number, contextDim: number, options: PresetOptions = {}): FlowConfig {
  checkDims('couplingSplinePreset', dim, contextDim);
  const seed = options.seed ?? 0;
  const rng = new Rng(seed, 1_000_003);
  const layers: LayerConfig[] = [];
  for (let i = 0; i < 4; i++) {
    layers.push({
      type: 'coupling',
      identityFeatures: i % 2 === 0 ? 'even' : 'odd',
      transform: { kind: 'rqs', bins: 8, tailBound: 1 },
      hiddenFeatures: 64,
      numBlocks: 3,
    });
    layers.push({ type: 'permutation', indices: randomPermutation(dim, rng) });
    layers.push({ type: 'lu-linear' });
  }
  return { formatVersion: FLOW_FORMAT_VERSION, dim, contextDim, seed, layers };
}

/**
 * A masked autoregressive rational-quadratic spline flow (Durkan et al. 2019) for latent vectors
 * conditioned on energy and angles (field-reference.md §4.3): ActNorm, then 5 autoregressive
 * spline layers (8 bins, tail bound 4, MADE with 2 residual blocks of max(64, 4·dim) units and the
 * context added in every block), the feature order reversed between layers.
 */
export function autoregressiveSplinePreset(dim: number, contextDim: number, options: PresetOptions = {}): FlowConfig {
  checkDims('autoregressiveSplinePreset', dim, contextDim);
  const seed = options.seed ?? 0;
  const layers: LayerConfig[] = [{ type: 'actnorm' }];
  for (let i = 0; i < 5; i++) {
    if (i > 0) layers.push({ type: 'permutation', indices: reversePermutation(dim) });
    layers.push({
      type: 'autoregressive',
      transform: { kind: 'rqs', bins: 8, tailBound: 4 },
      hiddenFeatures: Math.max(64, 4 * dim),
      numBlocks: 2,
    });
  }
  return { formatVersion: FLOW_FORMAT_VERSION, dim, contextDim, seed, layers };
}
