/**
 * Builds CaloMan's conditional rational-quadratic coupling flows (field-reference.md §4.7–4.8)
 * as `@calozoo/flows` configurations: alternating-mask spline couplings with residual
 * conditioners, each followed by a seeded random permutation and optionally an LU linear map.
 */
import { Rng } from '@calozoo/core';
import { Flow, FLOW_FORMAT_VERSION, type FlowConfig, type LayerConfig } from '@calozoo/flows';
import type { FlowNetConfig } from './configs.js';

/** The flows-package config of a CaloMan flow on `dim` features with `contextDim` context features. */
export function flowConfigFor(dim: number, contextDim: number, c: FlowNetConfig, seed: number): FlowConfig {
  const rng = new Rng(seed, 7);
  const transform = { kind: 'rqs' as const, bins: c.bins, tailBound: c.tailBound };
  const layers: LayerConfig[] = [];
  for (let i = 0; i < c.couplings; i++) {
    if (dim >= 2) {
      layers.push({ type: 'coupling', identityFeatures: i % 2 === 0 ? 'even' : 'odd', transform, hiddenFeatures: c.hidden, numBlocks: c.blocks });
      layers.push({ type: 'permutation', indices: c.permutations === 'parity' ? parityPermutation(dim, rng) : Array.from(rng.permutation(dim)) });
      if (c.luLinear) layers.push({ type: 'lu-linear' });
    } else {
      // One feature: no coupling split exists, so the spline parameters come from the context alone.
      layers.push({ type: 'elementwise', transform, hiddenFeatures: c.hidden });
    }
  }
  return { formatVersion: FLOW_FORMAT_VERSION, dim, contextDim, seed, layers };
}

/**
 * A random permutation that keeps every position's parity (evens among evens, odds among odds):
 * with couplings that alternate the identity half (even, odd, …), a feature splined in one
 * coupling is a conditioner in the next and splined again in the one after.
 */
export function parityPermutation(dim: number, rng: Rng): number[] {
  const indices = new Array<number>(dim);
  for (const start of [0, 1]) {
    const slots = Array.from({ length: Math.ceil((dim - start) / 2) }, (_, k) => start + 2 * k);
    const order = rng.permutation(slots.length);
    slots.forEach((slot, k) => (indices[slot] = slots[order[k]]));
  }
  return indices;
}

/** Creates a CaloMan flow with weights initialised from `seed`. */
export function createFlow(dim: number, contextDim: number, c: FlowNetConfig, seed: number): Flow {
  return new Flow(flowConfigFor(dim, contextDim, c, seed));
}
