import { describe, expect, it } from 'vitest';
import { gammaP, logGamma } from './special.js';

/** Independent check: Simpson integration of the gamma density. */
function gammaCdfNumeric(a: number, x: number): number {
  const n = 20000;
  const h = x / n;
  const lg = logGamma(a);
  const f = (t: number): number => (t <= 0 ? (a < 1 ? 0 : a === 1 ? 1 : 0) : Math.exp((a - 1) * Math.log(t) - t - lg));
  let s = f(0) + f(x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return (s * h) / 3;
}

describe('special functions', () => {
  it('logGamma matches log((n-1)!) and Γ(1/2) = √π', () => {
    let lf = 0;
    for (let n = 1; n < 25; n++) {
      expect(logGamma(n)).toBeCloseTo(lf, 9);
      lf += Math.log(n);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });

  it('gammaP agrees with numerical integration (series and continued-fraction branches)', () => {
    for (const [a, x] of [[1.5, 0.7], [3, 1], [3, 5], [6.2, 4], [6.2, 12], [12, 30]]) {
      expect(gammaP(a, x)).toBeCloseTo(gammaCdfNumeric(a, x), 6);
    }
    expect(gammaP(1, 2)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(gammaP(4, 0)).toBe(0);
  });
});
