import { describe, expect, it } from 'vitest';
import { binIndex, histogram, linspace, logEdges, toProbabilities } from './histogram.js';

describe('NumPy-compatible histograms', () => {
  it('linspace matches i·step + start with an exact last edge', () => {
    const e = linspace(0.5, 1.5, 101);
    expect(e.length).toBe(101);
    expect(e[0]).toBe(0.5);
    expect(e[100]).toBe(1.5);
    expect(e[37]).toBe(37 * (1 / 100) + 0.5);
  });
  it('log edges are geometric with exact ends', () => {
    const e = logEdges(1, 1e4, 5);
    expect(Array.from(e)).toEqual([1, 10, 100, 1000, 10000].map((v, i) => (i === 0 || i === 4 ? v : expect.closeTo(v, 9))));
  });
  it('bins are half-open except the last, which includes its right edge; outside values drop', () => {
    const e = Float64Array.from([0, 1, 2, 3]);
    expect(binIndex(e, 0)).toBe(0);
    expect(binIndex(e, 1)).toBe(1);
    expect(binIndex(e, 2.999)).toBe(2);
    expect(binIndex(e, 3)).toBe(2);
    expect(binIndex(e, -1e-9)).toBe(-1);
    expect(binIndex(e, 3.0000001)).toBe(-1);
    expect(binIndex(e, NaN)).toBe(-1);
    expect(Array.from(histogram([0, 0.5, 1, 3, 4, -1], e))).toEqual([2, 1, 1]);
  });
  it('probabilities sum to one, empty histograms give zeros', () => {
    expect(Array.from(toProbabilities([1, 3]))).toEqual([0.25, 0.75]);
    expect(Array.from(toProbabilities([0, 0]))).toEqual([0, 0]);
  });
});
