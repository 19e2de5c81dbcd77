/**
 * Special functions the simulator needs: log-gamma and the regularised lower incomplete gamma
 * function P(a, x), i.e. the CDF of the gamma distribution used for longitudinal profiles.
 * Algorithms: Lanczos approximation (g = 7, n = 9) and the series / continued-fraction pair of
 * Numerical Recipes (3rd ed., §6.2).
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Natural logarithm of the gamma function for x > 0 (Lanczos, relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0];
  for (let i = 1; i < 9; i++) s += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

const EPS = 1e-10;
const TINY = 1e-300;

/**
 * Regularised lower incomplete gamma P(a, x) = γ(a, x)/Γ(a) for a > 0, x ≥ 0.
 * @param lga precomputed logGamma(a), to save work when a is fixed over many x
 */
export function gammaP(a: number, x: number, lga = logGamma(a)): number {
  if (x <= 0) return 0;
  const front = a * Math.log(x) - x - lga;
  if (x < a + 1) {
    // series: P = e^{-x} x^a / Γ(a) Σ x^n / (a (a+1) … (a+n))
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < 500; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    return Math.min(1, sum * Math.exp(front));
  }
  // continued fraction for Q = 1 - P (modified Lentz)
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.max(0, 1 - Math.exp(front) * h);
}
