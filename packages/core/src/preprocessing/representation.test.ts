/**
 * `withConditionScale`: the network condition times the factor, checked against the formula
 * written out here; the values, their decoding and a readout threshold are those of the
 * unscaled representation.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../device/tf.js';
import { representationFor, withConditionScale, withReadout } from './representation.js';

const root = representationFor({ architecture: 'dense', dense: { representation: 'root-fraction', root: 4 } }, 2);
const energies = Float32Array.of(1_000, 10_000, 31_622.78, 100_000, 1_000_000);

describe('withConditionScale', () => {
  it('multiplies the condition by the factor: 10 and 100 GeV at ∓1 with 4', () => {
    const c = withConditionScale(root, 4).condition(energies);
    energies.forEach((e, i) => expect(c[i]).toBeCloseTo(4 * ((Math.log10(e) - 4.5) / 2), 5));
    expect(c[1]).toBeCloseTo(-1, 6);
    expect(c[3]).toBeCloseTo(1, 6);
  });

  it('keeps the values, their decoding and a readout threshold; writes the factor to the constants', () => {
    const scaled = withConditionScale(withReadout(root, 0.1), 4);
    expect(scaled.constants).toEqual({ ...root.constants, threshold: 0.1, conditionScale: 4 });
    const showers = Float32Array.of(0, 0.05, 2, 30, 400, 0.2);
    const a = new Float32Array(6);
    const b = new Float32Array(6);
    root.encode(showers, 50_000, a);
    scaled.encode(showers, 50_000, b);
    expect(b).toEqual(a);
    const decoded = tf.tidy(() => scaled.decode(tf.tensor2d(b, [1, 6]), tf.tensor2d([[50_000]])).dataSync());
    // Below the 0.1 MeV readout a deposit decodes to 0; above it, to itself (float rounding).
    [0, 0, 2, 30, 400, 0.2].forEach((v, i) => expect(decoded[i]).toBeCloseTo(v, 3));
  });

  it('is the representation itself at 1 and refuses a factor that is not a positive finite number', () => {
    expect(withConditionScale(root, 1)).toBe(root);
    for (const s of [0, -2, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => withConditionScale(root, s)).toThrow(/condition scale must be a finite number > 0/);
  });
});
