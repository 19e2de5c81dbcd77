import { describe, expect, it } from 'vitest';
import { cornerIntegral } from './project-grid.js';

describe('grid projection', () => {
  it('the rectangle-corner integral matches midpoint quadrature of ρ(r) = 1/(π(1+r²)²)', () => {
    for (const [x, y] of [[1, 1], [0.3, 2], [3, 0.5]]) {
      const n = 600;
      let s = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const u = ((i + 0.5) * x) / n;
          const v = ((j + 0.5) * y) / n;
          s += 1 / (Math.PI * (1 + u * u + v * v) ** 2);
        }
      }
      expect(cornerIntegral(x, y)).toBeCloseTo((s * x * y) / (n * n), 5);
    }
    expect(cornerIntegral(1e6, 1e6)).toBeCloseTo(0.25, 5);
    expect(cornerIntegral(-1, 2)).toBeCloseTo(-cornerIntegral(1, 2), 12);
  });
});
