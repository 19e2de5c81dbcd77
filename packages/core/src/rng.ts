/**
 * Seeded pseudo-random numbers. Every stochastic path in calozoo takes an `Rng`; global
 * randomness (`Math.random`) is never read.
 *
 * The generator is xoshiro128** (Blackman & Vigna, 2018), seeded through SplitMix32 so that
 * nearby seeds give unrelated streams. `Rng.stream(seed, k)` derives independent streams for
 * shards and workers.
 */
import { InvalidArgumentError } from './errors.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_M32 = 1 / TWO_POW_32;
const TWO_POW_M53 = 1 / 9007199254740992;

/** Right edge of the ziggurat's base strip for 128 strips (Marsaglia & Tsang 2000). */
const ZIGGURAT_R = 3.442619855899;
/**
 * Ziggurat tables for 25-bit signed draws j: strip i accepts |j| < k[i] at once as x = j·w[i];
 * f[i] = exp(−x_i²/2) at the strip's edge x_i.
 */
const ZIGGURAT = (() => {
  const scale = 2 ** 24;
  const vArea = 9.91256303526217e-3;
  const k = new Float64Array(128);
  const w = new Float64Array(128);
  const f = new Float64Array(128);
  let dn = ZIGGURAT_R;
  let tn = dn;
  const q = vArea / Math.exp(-0.5 * dn * dn);
  k[0] = (dn / q) * scale;
  k[1] = 0;
  w[0] = q / scale;
  w[127] = dn / scale;
  f[0] = 1;
  f[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vArea / dn + Math.exp(-0.5 * dn * dn)));
    k[i + 1] = (dn / tn) * scale;
    tn = dn;
    f[i] = Math.exp(-0.5 * dn * dn);
    w[i] = dn / scale;
  }
  return { k, w, f };
})();

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function logFactorial(k: number): number {
  if (k < LOG_FACT_TABLE.length) return LOG_FACT_TABLE[k];
  // Stirling series, accurate to ~1e-10 for k >= 30
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}
const LOG_FACT_TABLE: number[] = (() => {
  const t = [0];
  for (let i = 1; i < 30; i++) t.push(t[i - 1] + Math.log(i));
  return t;
})();

/** A seeded random-number generator with uniform, normal, gamma, Poisson and other draws. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  // a plain number plus a flag (not `number | null`) keeps the field unboxed in V8: no allocation per draw
  private spareNormal = 0;
  private hasSpare = false;
  /** The seed this generator was created from (for metadata). */
  readonly seed: number;

  /**
   * Creates a generator from an integer seed.
   * @param seed any safe integer; the same seed gives the same stream on every platform
   * @param stream optional stream index: `new Rng(s, k)` for k = 0, 1, … are independent streams
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`Rng: seed must be a safe integer, got ${seed}`);
    if (!Number.isSafeInteger(stream) || stream < 0) {
      throw new InvalidArgumentError(`Rng: stream must be a non-negative integer, got ${stream}`);
    }
    this.seed = seed;
    const lo = seed % TWO_POW_32 | 0;
    const hi = Math.floor(seed / TWO_POW_32) | 0;
    const st = { s: lo ^ Math.imul(hi, 0x27d4eb2d) ^ Math.imul(stream + 1, 0x165667b1) };
    splitmix32(st);
    st.s ^= Math.imul(stream, 0x9e3779b1);
    this.a = splitmix32(st) | 0;
    this.b = splitmix32(st) | 0;
    this.c = splitmix32(st) | 0;
    this.d = splitmix32(st) | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** Derives an independent generator for stream `k` of this generator's seed. */
  static stream(seed: number, k: number): Rng {
    return new Rng(seed, k);
  }

  /** Draws a fresh child generator from this one (advances this generator). */
  fork(): Rng {
    return new Rng(this.nextUint32() * 2097152 + (this.nextUint32() >>> 11));
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const b = this.b;
    let r = Math.imul(b, 5);
    r = ((r << 7) | (r >>> 25)) >>> 0;
    r = Math.imul(r, 9) >>> 0;
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = (this.d << 11) | (this.d >>> 21);
    return r;
  }

  /** Uniform draw in [0, 1) with 32 bits of resolution (fast path for simulation). */
  uniform(): number {
    return this.nextUint32() * TWO_POW_M32;
  }

  /** Uniform draw in [0, 1) with 53 bits of resolution. */
  uniform53(): number {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) * TWO_POW_M53;
  }

  /** Uniform draw in (0, 1): never exactly zero, safe for logarithms. */
  uniformOpen(): number {
    return (this.nextUint32() + 0.5) * TWO_POW_M32;
  }

  /** Uniform draw in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0) || n > TWO_POW_32) throw new InvalidArgumentError(`Rng.int: n must be in (0, 2^32], got ${n}`);
    return Math.floor(this.uniform53() * n);
  }

  /** Standard normal draw (Marsaglia polar method). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareNormal;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /** Normal draw with mean `mu` and standard deviation `sigma`. */
  normalMS(mu: number, sigma: number): number {
    return mu + sigma * this.normal();
  }

  /** Exponential draw with unit rate. */
  exponential(): number {
    return -Math.log(this.uniformOpen());
  }

  /**
   * Gamma draw with shape `k` and scale `theta` (mean k·theta).
   * Marsaglia & Tsang (2000), "A simple method for generating gamma variables"; k < 1 via
   * the boost Gamma(k) = Gamma(k+1)·U^(1/k).
   */
  gamma(k: number, theta = 1): number {
    if (!(k > 0) || !(theta > 0)) throw new InvalidArgumentError(`Rng.gamma: shape and scale must be > 0, got ${k}, ${theta}`);
    if (k < 1) return this.gamma(k + 1, theta) * Math.pow(this.uniformOpen(), 1 / k);
    const d = k - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniformOpen();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v * theta;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v * theta;
    }
  }

  /** Beta draw with shape parameters a, b. */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  /**
   * Poisson draw with mean `lambda`: multiplication method for lambda < 10, otherwise the
   * PTRS transformed rejection of Hörmann (1993), exact for any lambda.
   */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new InvalidArgumentError(`Rng.poisson: lambda must be finite and >= 0, got ${lambda}`);
    if (lambda === 0) return 0;
    if (lambda < 10) {
      const L = Math.exp(-lambda);
      let k = 0;
      let p = this.uniform();
      while (p > L) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const U = this.uniform() - 0.5;
      const V = this.uniformOpen();
      const us = 0.5 - Math.abs(U);
      const k = Math.floor(((2 * a) / us + b) * U + lambda + 0.43);
      if (us >= 0.07 && V <= vr) return k;
      if (k < 0 || (us < 0.013 && V > us)) continue;
      if (Math.log(V) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) return k;
    }
  }

  /**
   * Fills `out` with standard normal draws and returns it: the same values as `out.length` calls
   * of `normal()`, with the generator state kept in locals (about 2× faster).
   */
  fillNormal(out: Float32Array | Float64Array): typeof out {
    const n = out.length;
    let i = 0;
    if (n > 0 && this.hasSpare) {
      this.hasSpare = false;
      out[i++] = this.spareNormal;
    }
    let a = this.a, b = this.b, c = this.c, d = this.d;
    while (i < n) {
      let u: number, v: number, s: number;
      do {
        // two xoshiro128** steps, as nextUint32()
        let r = Math.imul(b, 5);
        r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
        let t = b << 9;
        c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = (d << 11) | (d >>> 21);
        u = 2 * (r * TWO_POW_M32) - 1;
        r = Math.imul(b, 5);
        r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
        t = b << 9;
        c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = (d << 11) | (d >>> 21);
        v = 2 * (r * TWO_POW_M32) - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = u * f;
      if (i < n) out[i++] = v * f;
      else {
        this.spareNormal = v * f;
        this.hasSpare = true;
      }
    }
    this.a = a; this.b = b; this.c = c; this.d = d;
    return out;
  }

  /**
   * Fills `out` with standard normal draws by the ziggurat method (Marsaglia & Tsang 2000, 128
   * strips; each draw takes its strip from the low 7 bits and its value from the other 25 bits of
   * one 32-bit draw), about 4× faster than `fillNormal` and a different stream of values. Like
   * `fillNormal`, filling n values and then m gives the same numbers as filling n + m at once. Used
   * where millions of normals per second matter (per-voxel generation noise).
   */
  fillNormalZiggurat(out: Float32Array | Float64Array): typeof out {
    const { k, w, f } = ZIGGURAT;
    // xoshiro128** inlined (as nextUint32) so the state stays in locals; r is the int32 output.
    let a = this.a, b = this.b, c = this.c, d = this.d, r = 0, t = 0;
    const n = out.length;
    for (let i = 0; i < n; ) {
      r = Math.imul(b, 5); r = Math.imul((r << 7) | (r >>> 25), 9); t = b << 9;
      c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = (d << 11) | (d >>> 21);
      const strip = r & 127;
      const j = r >> 7; // signed 25-bit
      if (Math.abs(j) < k[strip]!) {
        out[i++] = j * w[strip]!;
        continue;
      }
      if (strip === 0) {
        // Tail beyond R (Marsaglia 1964): x = −log(U₁)/R, accepted when −2·log(U₂) > x².
        let x: number, y: number;
        do {
          r = Math.imul(b, 5); r = Math.imul((r << 7) | (r >>> 25), 9); t = b << 9;
          c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = (d << 11) | (d >>> 21);
          x = -Math.log(((r >>> 0) + 0.5) * TWO_POW_M32) / ZIGGURAT_R;
          r = Math.imul(b, 5); r = Math.imul((r << 7) | (r >>> 25), 9); t = b << 9;
          c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = (d << 11) | (d >>> 21);
          y = -Math.log(((r >>> 0) + 0.5) * TWO_POW_M32);
        } while (y + y < x * x);
        out[i++] = j < 0 ? -(ZIGGURAT_R + x) : ZIGGURAT_R + x;
        continue;
      }
      // Wedge of the strip: accept x under the density, else draw again.
      const x = j * w[strip]!;
      r = Math.imul(b, 5); r = Math.imul((r << 7) | (r >>> 25), 9); t = b << 9;
      c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = (d << 11) | (d >>> 21);
      if (f[strip]! + (r >>> 0) * TWO_POW_M32 * (f[strip - 1]! - f[strip]!) < Math.exp(-0.5 * x * x)) out[i++] = x;
    }
    this.a = a; this.b = b; this.c = c; this.d = d;
    return out;
  }

  /** Fills `out` with uniform draws in [0, 1) and returns it. */
  fillUniform(out: Float32Array | Float64Array): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform();
    return out;
  }

  /** Returns a permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Saves the internal state (for resumable training). */
  getState(): number[] {
    return [this.a, this.b, this.c, this.d];
  }

  /** Restores a state saved by `getState`. */
  setState(state: readonly number[]): void {
    if (state.length !== 4) throw new InvalidArgumentError('Rng.setState: expected 4 integers');
    [this.a, this.b, this.c, this.d] = state.map((x) => x | 0);
    this.hasSpare = false;
  }
}
