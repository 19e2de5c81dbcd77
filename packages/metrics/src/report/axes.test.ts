import { describe, expect, it } from 'vitest';
import { formatTick, linearTicks, logTicks, logTickLabels, niceStep, scale } from './axes.js';

describe('report axes', () => {
  it('steps are 1, 2 or 5 × 10^k', () => {
    expect([niceStep(1, 5), niceStep(0.9, 5), niceStep(37, 5), niceStep(3.8e5, 5), niceStep(0.013, 5)]).toEqual([0.2, 0.2, 5, 1e5, 0.002]);
  });
  it('linear ticks are multiples of the step inside the range, without float noise', () => {
    expect(linearTicks(0.5, 1.5, 2).values).toEqual([0.5, 1, 1.5]);
    const t = linearTicks(-0.013, 0.071, 5);
    expect(t.step).toBe(0.02);
    expect(t.values.map((v) => formatTick(v, t.step))).toEqual(['0', '0.02', '0.04', '0.06']);
  });
  it('labels are compact and never use e-notation', () => {
    expect(formatTick(380000, 1e5)).toBe('3.8·10⁵');
    expect(formatTick(200000, 1e5)).toBe('2·10⁵');
    expect(formatTick(1e-4)).toBe('10⁻⁴');
    expect(formatTick(-0.25, 0.25)).toBe('−0.25');
    expect(formatTick(1500, 500)).toBe('1500');
    expect(formatTick(0.05, 0.05)).toBe('0.05');
    for (const v of [3.8e5, 1.23e-5, 7e7]) expect(formatTick(v)).not.toMatch(/e[+-]/);
  });
  it('log ticks: labelled decades (thinned on long axes), minor 2–9, 1-2-5 within one decade', () => {
    const t = logTicks(3e-3, 2e2);
    expect(t.major).toEqual([1e-2, 1e-1, 1, 10, 100]);
    expect(t.minor).toContain(5e-3);
    expect(logTickLabels(t.major)).toEqual(['0.01', '0.1', '1', '10', '100']);
    expect(logTickLabels([1e-6, 1e-3])).toEqual(['10⁻⁶', '10⁻³']);
    expect(logTicks(1e-12, 1e3).major.length).toBeLessThanOrEqual(8);
    expect(logTicks(1.5, 9).major).toEqual([2, 5]);
  });
  it('scales clamp to the panel', () => {
    const s = scale({ lo: 1, hi: 100, log: true }, 0, 200);
    expect([s(1), s(10), s(100), s(1e4), s(0)]).toEqual([0, 100, 200, 200, 0]);
  });
});
