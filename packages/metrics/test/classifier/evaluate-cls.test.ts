import { describe, expect, it } from 'vitest';
import { getGeometry } from '@calozoo/core';
import { evaluate, formatTable } from '../../src/index.js';
import { toyShowers } from '../toy-showers.js';

describe('evaluate with classifier modes', () => {
  it('runs cls-high and cls-low (fast protocol) and separates an obviously different sample', async () => {
    const g = getGeometry('ds1-photons');
    const reference = toyShowers(g, { n: 3000, seed: 1 });
    const generated = toyShowers(g, { n: 3000, seed: 2, shift: 3 });
    const { result } = await evaluate({ reference, generated, geometry: g, modes: ['cls-high', 'cls-low'], classifier: { protocol: 'fast', seed: 3 } });
    expect(result.classifier?.['cls-high']?.auc).toBeGreaterThan(0.9);
    expect(result.classifier?.['cls-low']?.auc).toBeGreaterThan(0.9);
    expect(result.classifier?.['cls-high']?.protocol).toBe('fast');
    expect(formatTable(result)).toMatch(/cls-high classifier: AUC 0\.9\d+/);
  }, 180_000);

  it('rejects unknown modes', async () => {
    const g = getGeometry('ds1-photons');
    const s = toyShowers(g, { n: 10, seed: 1 });
    await expect(evaluate({ reference: s, generated: s, geometry: g, modes: ['cls-magic' as never] })).rejects.toThrow(/unknown evaluation mode "cls-magic"/);
  });
});
