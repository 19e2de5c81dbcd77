import { describe, expect, it } from 'vitest';
import { Rng } from '@calozoo/core';
import { flowConfigFor, parityPermutation } from './flow-net.js';
import type { FlowNetConfig } from './configs.js';

/** How many couplings transform each input feature by a spline, following features through the permutations (y[:, j] = x[:, indices[j]]). */
function splineCounts(dim: number, c: FlowNetConfig, seed: number): number[] {
  const cfg = flowConfigFor(dim, 1, c, seed);
  let pos = Array.from({ length: dim }, (_, i) => i);
  const counts = new Array<number>(dim).fill(0);
  for (const layer of cfg.layers) {
    if (layer.type === 'coupling') {
      const identityEven = layer.identityFeatures === 'even';
      pos.forEach((p, f) => {
        if ((p % 2 === 0) !== identityEven) counts[f]++;
      });
    } else if (layer.type === 'permutation') {
      const inverse = new Array<number>(dim);
      layer.indices.forEach((p, j) => (inverse[p] = j));
      pos = pos.map((p) => inverse[p]);
    }
  }
  return counts;
}

describe('CaloMan flow construction', () => {
  const base: FlowNetConfig = { couplings: 4, hidden: 8, blocks: 1, bins: 4, tailBound: 4, luLinear: true, permutations: 'parity' };
  it('parity permutations keep each position’s parity and are random within it', () => {
    const rng = new Rng(1);
    for (const dim of [2, 5, 45]) {
      const p = parityPermutation(dim, rng);
      expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: dim }, (_, i) => i));
      p.forEach((v, j) => expect(v % 2).toBe(j % 2));
    }
    expect(parityPermutation(45, new Rng(2))).not.toEqual(parityPermutation(45, new Rng(3)));
  });
  it('with parity permutations every feature is splined in half the couplings; random ones skip some (DS2’s 45 layers, EPL seed 2)', () => {
    for (const dim of [5, 7, 45, 48]) {
      for (const seed of [2, 4, 9]) expect(new Set(splineCounts(dim, base, seed))).toEqual(new Set([2]));
    }
    const random = splineCounts(45, { ...base, permutations: 'random' }, 2);
    expect(random.flatMap((c, f) => (c === 0 ? [f] : []))).toEqual([32, 34, 42]);
  });
});
