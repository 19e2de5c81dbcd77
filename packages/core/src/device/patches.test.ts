/**
 * Each patch of `installTfPatches` against float64 finite differences of plain-JS reference
 * implementations, on every backend available. Tolerances: 1e-4 · max|expected| for linear maps
 * (float32 rounding of sums of ~100 terms), 2e-3 for second derivatives (two float32 passes).
 */
import { expect, it } from 'vitest';
import { forEachBackend } from '../testing/backends.js';
import {
  arr,
  conv3dFilterGradRef,
  conv3dRef,
  conv3dTransposeRef,
  dot,
  expectClose,
  numericGrad,
  randomArr,
  type Arr,
} from './__tests__/reference.js';
import { LEAKY_RELU_GRAD, leakyReluDiff } from './leaky-relu.js';
import { DENSE, MATMUL_2D, dense, matMul2d } from './native-dense.js';
import { withoutGradient } from './no-gradient.js';
import { tf } from './tf.js';

const t = (a: Arr) => tf.tensor(Float32Array.from(a.data), a.shape);
const vals = (x: tf.Tensor) => x.dataSync() as Float32Array;
const lrelu = (v: number, a: number) => (v > 0 ? v : a * v);

await forEachBackend((backend) => {
  it('conv3dTranspose: forward and gradients w.r.t. dy and filter', () => {
    for (const [s, pad, xShape, dyShape] of [
      [2, 'same', [2, 6, 6, 6, 2], [2, 3, 3, 3, 3]],
      [1, 'valid', [1, 5, 5, 5, 2], [1, 3, 3, 3, 3]],
    ] as const) {
      const dy = randomArr([...dyShape], 1), w = randomArr([3, 3, 3, 2, 3], 2), r = randomArr([...xShape], 3);
      const f = (dyv: Arr, wv: Arr) => dot(r.data, conv3dTransposeRef(dyv, wv, [...xShape], s, pad).data);
      tf.tidy(() => {
        expectClose(vals(tf.conv3dTranspose(t(dy) as tf.Tensor5D, t(w) as tf.Tensor5D, [...xShape], s, pad)),
          conv3dTransposeRef(dy, w, [...xShape], s, pad).data, 1e-4);
        const [gdy, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(t(r), tf.conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, [...xShape], s, pad))))([t(dy), t(w)]);
        expectClose(vals(gdy!), numericGrad((v) => f(arr(dy.shape, v), w), dy.data), 1e-4);
        expectClose(vals(gw!), numericGrad((v) => f(dy, arr(w.shape, v)), w.data), 1e-4);
      });
    }
  });

  it(`conv3d gradients w.r.t. input and filter (wasm routes Conv3DBackprop* to cpu)`, () => {
    const x = randomArr([2, 5, 5, 5, 2], 4), w = randomArr([3, 3, 3, 2, 3], 5);
    const y = conv3dRef(x, w, 2, 'same');
    const r = randomArr(y.shape, 6);
    const f = (xv: Arr, wv: Arr) => dot(r.data, conv3dRef(xv, wv, 2, 'same').data);
    tf.tidy(() => {
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(t(r), tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 2, 'same'))))([t(x), t(w)]);
      expectClose(vals(gx!), numericGrad((v) => f(arr(x.shape, v), w), x.data), 1e-4);
      expectClose(vals(gw!), numericGrad((v) => f(x, arr(w.shape, v)), w.data), 1e-4);
    });
  });

  it('gradient of the conv3d filter gradient (Conv3DBackpropFilterV2) w.r.t. the input', () => {
    const x = randomArr([1, 4, 4, 4, 2], 7), w = randomArr([3, 3, 3, 2, 2], 8);
    const sY = randomArr(conv3dRef(x, w, 2, 'same').shape, 9), rW = randomArr(w.shape, 10);
    const f = (xv: Float64Array) => dot(rW.data, conv3dFilterGradRef(arr(x.shape, xv), sY, w.shape, 2, 'same').data);
    tf.tidy(() => {
      const g = tf.grad((xt: tf.Tensor) => {
        const gw = tf.grad((wt: tf.Tensor) => tf.sum(tf.mul(t(sY), tf.conv3d(xt as tf.Tensor5D, wt as tf.Tensor5D, 2, 'same'))))(t(w));
        return tf.sum(tf.mul(t(rW), gw));
      })(t(x));
      expectClose(vals(g), numericGrad(f, x.data), 1e-4);
    });
  });

  it('WGAN-GP penalty through conv3d + leakyRelu: double backprop matches finite differences', () => {
    const alpha = 0.2;
    const x = randomArr([2, 4, 4, 4, 1], 11), w = randomArr([3, 3, 3, 1, 2], 12);
    const v = randomArr(conv3dRef(x, w, 1, 'same').shape, 13);
    // D(x) = Σ v ⊙ lrelu(conv3d(x, W)); ∇ₓD = conv3dᵀ(v ⊙ lrelu'(z), W); GP(W) = Σ (∇ₓD)².
    const gp = (wv: Float64Array) => {
      const wa = arr(w.shape, wv);
      const z = conv3dRef(x, wa, 1, 'same');
      const dz = arr(z.shape, z.data.map((zi, i) => v.data[i]! * (zi > 0 ? 1 : alpha)));
      const gx = conv3dTransposeRef(dz, wa, x.shape, 1, 'same');
      return dot(gx.data, gx.data);
    };
    const expected = numericGrad(gp, w.data);
    for (const act of [(z: tf.Tensor) => tf.leakyRelu(z, alpha), (z: tf.Tensor) => leakyReluDiff(z, alpha)]) {
      tf.tidy(() => {
        const g = tf.grad((wt: tf.Tensor) => {
          const gx = tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(t(v), act(tf.conv3d(xt as tf.Tensor5D, wt as tf.Tensor5D, 1, 'same')))))(t(x));
          return tf.sum(tf.square(gx));
        })(t(w));
        expectClose(vals(g), expected, 2e-3);
      });
    }
  });

  it('leakyReluDiff: value, first and second derivative', () => {
    const a = 0.3, x = randomArr([50], 14), w = 1.7;
    tf.tidy(() => {
      expectClose(vals(leakyReluDiff(t(x), a)), x.data.map((xi) => lrelu(xi, a)), 1e-6);
      // h(w) = Σ (d/dx Σ lrelu(w x)²)² = Σ (2 lrelu(wx) lrelu'(wx) w)²
      const h = (wv: Float64Array) => x.data.reduce((s, xi) => s + (2 * lrelu(wv[0]! * xi, a) * (wv[0]! * xi > 0 ? 1 : a) * wv[0]!) ** 2, 0);
      const g = tf.grad((wt: tf.Tensor) => {
        const gx = tf.grad((xt: tf.Tensor) => tf.sum(tf.square(leakyReluDiff(tf.mul(wt, xt), a))))(t(x));
        return tf.sum(tf.square(gx));
      })(tf.scalar(w));
      expectClose(vals(g), numericGrad(h, Float64Array.of(w)), 1e-4);
    });
  });

  it('leakyRelu gradient: one registered kernel, same values as tfjs (α at 0), second derivative w.r.t. dy only', () => {
    const a = 0.2, xs = [-2, -0.5, 0, 0.5, 3], dys = [1, -2, 3, 0.5, -1];
    tf.tidy(() => {
      // Native TensorFlow's fused LeakyReluGrad on 'tensorflow', the where() formula elsewhere.
      expect(tf.getKernel(LEAKY_RELU_GRAD, backend)).toBeDefined();
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.tensor1d(dys), leakyReluDiff(x, a))))(tf.tensor1d(xs));
      expectClose(vals(g), xs.map((x, i) => (x > 0 ? dys[i]! : a * dys[i]!)), 1e-7);
      // d/dv Σ (∂/∂x Σ v·lrelu(x))² = 2·lrelu'(x)²·v, and the x-derivative of lrelu' is zero.
      const [gv, gx] = tf.grads((v: tf.Tensor, x: tf.Tensor) =>
        tf.sum(tf.square(tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(v, tf.leakyRelu(xx, a))))(x))))([tf.tensor1d(dys), tf.tensor1d(xs)]);
      expectClose(vals(gv!), xs.map((x, i) => 2 * (x > 0 ? 1 : a * a) * dys[i]!), 1e-6);
      expect(Array.from(vals(gx!))).toEqual([0, 0, 0, 0, 0]);
    });
  });

  it('relu gradient (the same kernel with α = 0): first and second derivative', () => {
    const xs = [-2, -0.5, 0, 0.5, 3], dys = [1, -2, 3, 0.5, -1];
    tf.tidy(() => {
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.tensor1d(dys), tf.relu(x))))(tf.tensor1d(xs));
      expectClose(vals(g), xs.map((x, i) => (x > 0 ? dys[i]! : 0)), 1e-7);
      const [gv, gx] = tf.grads((v: tf.Tensor, x: tf.Tensor) =>
        tf.sum(tf.square(tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(v, tf.relu(xx))))(x))))([tf.tensor1d(dys), tf.tensor1d(xs)]);
      expectClose(vals(gv!), xs.map((x, i) => (x > 0 ? 2 * dys[i]! : 0)), 1e-6);
      expect(Array.from(vals(gx!))).toEqual([0, 0, 0, 0, 0]);
    });
  });

  it('reshape to the same shape and cast to the same dtype: same values, independent lifetimes, exact gradients', () => {
    const x = tf.tensor2d([1, -2, 3, 4, 5, -6], [2, 3]);
    const same = tf.reshape(x, [2, 3]);
    const other = tf.reshape(x, [3, 2]);
    const inferred = tf.reshape(x, [-1, 3]);
    const cast = tf.cast(x, 'float32');
    const ints = tf.cast(x, 'int32');
    x.dispose();
    // The shortcut shares x's data: it must outlive x (tfjs-node's Identity does the same).
    expect(same.shape).toEqual([2, 3]);
    expect(Array.from(vals(same))).toEqual([1, -2, 3, 4, 5, -6]);
    expect(other.shape).toEqual([3, 2]);
    expect(Array.from(vals(other))).toEqual([1, -2, 3, 4, 5, -6]);
    expect(inferred.shape).toEqual([2, 3]);
    expect(Array.from(vals(cast))).toEqual([1, -2, 3, 4, 5, -6]);
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3, 4, 5, -6]);
    same.dispose();
    expect(Array.from(vals(cast))).toEqual([1, -2, 3, 4, 5, -6]);
    tf.dispose([other, inferred, cast, ints]);
    // d/da Σ w·(a ⊙ b) = w ⊙ b: tfjs-core's product gradient casts and reshapes to the same shape.
    tf.tidy(() => {
      const a = tf.tensor2d([1, 2, 3, 4], [2, 2]), b = tf.tensor2d([0.5, -1, 2, 3], [2, 2]), w = tf.tensor2d([1, 2, -1, 0.25], [2, 2]);
      const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(w, tf.mul(p, q))))([a, b]);
      expect(Array.from(vals(ga!))).toEqual([0.5, -2, -2, 0.75]);
      expect(Array.from(vals(gb!))).toEqual([1, 4, -3, 1]);
    });
  });

  it('withoutGradient: the value of f, treated as a constant by tf.grad and tf.variableGrads', () => {
    tf.tidy(() => {
      const xs = [-1.5, 0.25, 2];
      // f(x) = Σ x · c(x) with c(x) = x² held constant: df/dx = c(x) = x², not 3x².
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, withoutGradient(() => tf.square(x)))))(tf.tensor1d(xs));
      expectClose(vals(g), xs.map((x) => x * x), 1e-6);
      // The masks of a bin search: comparisons inside, a product with a variable outside.
      const v = tf.variable(tf.tensor1d([0.5, -1, 3]));
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(v, withoutGradient(() => tf.cast(tf.greaterEqual(v, 0), 'float32')))));
      expect(vals(value)[0]).toBeCloseTo(3.5, 6);
      expect(Array.from(vals(grads[v.name]!))).toEqual([1, 0, 1]);
      v.dispose();
    });
    // Outside a gradient it is just f, and it leaves no tensor behind but its result.
    const v = tf.tensor1d([0.5, -1, 3]);
    const before = tf.memory().numTensors;
    const y = withoutGradient(() => tf.add(tf.mul(v, 2), 1));
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(vals(y))).toEqual([2, -1, 7]);
    tf.dispose([v, y]);
  });

  it('sum and mean gradients (a broadcast, not a ones tensor): any axes, keepDims, second derivative', () => {
    const shape = [2, 3, 4];
    const x = randomArr(shape, 31);
    // Float64 reduction over `axes` of a row-major [2, 3, 4] array, kept dimensions in order.
    const reduce = (v: Float64Array, axes: number[], mean: boolean): number[] => {
      const out = new Map<string, number>();
      const count = axes.reduce((n, a) => n * shape[a]!, 1);
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
        const key = [i, j, k].filter((_, d) => !axes.includes(d)).join(',');
        out.set(key, (out.get(key) ?? 0) + v[(i * 3 + j) * 4 + k]! / (mean ? count : 1));
      }
      return [...out.values()];
    };
    for (const [axis, keepDims] of [[1, false], [[0, 2], true], [undefined, false], [-1, true]] as [number | number[] | undefined, boolean][]) {
      const axes = axis === undefined ? [0, 1, 2] : (Array.isArray(axis) ? axis : [axis]).map((a) => (a + 3) % 3);
      for (const mean of [false, true]) {
        const outSize = reduce(x.data, axes, mean).length;
        const r = randomArr([outSize], 32);
        const red = (t: tf.Tensor) => (mean ? tf.mean(t, axis, keepDims) : tf.sum(t, axis, keepDims));
        tf.tidy(() => {
          const rt = tf.reshape(t(r), red(t(x)).shape);
          // f(x) = Σ r · reduce(x²)
          const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(rt, red(tf.square(a)))))(t(x));
          const f = (v: Float64Array) => reduce(v.map((q) => q * q), axes, mean).reduce((acc, q, i) => acc + q * r.data[i]!, 0);
          expectClose(vals(g), numericGrad(f, x.data), 1e-4, 1e-6);
          // Double backprop: h(x) = Σ (∂f/∂x)², whose gradient is 2 ∂²f/∂x² · ∂f/∂x = 8x·b² (b = r broadcast / count).
          const h = tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.grad((z: tf.Tensor) => tf.sum(tf.mul(rt, red(tf.square(z)))))(a))))(t(x));
          const b = Float64Array.from(vals(g)).map((gi, i) => gi / (2 * x.data[i]!));
          expectClose(vals(h), x.data.map((xi, i) => 8 * xi * b[i]! * b[i]!), 1e-4, 1e-6);
        });
      }
    }
  });

  it('tile gradient (one reshape and sum, not a slice per repetition): values and second derivative', () => {
    // [shape, reps]: plain repetitions, a broadcast of kept axes (Sum and Mean's gradient), both, rank 5.
    const cases: [number[], number[]][] = [[[2, 3], [3, 2]], [[2, 1, 3], [1, 4, 1]], [[1, 2, 2], [3, 2, 1]], [[2, 1, 1, 1, 3], [1, 2, 3, 2, 1]]];
    for (const [shape, reps] of cases) {
      const x = randomArr(shape, 41);
      const out = shape.map((d, a) => d * reps[a]!);
      const size = out.reduce((p, q) => p * q, 1);
      const r = randomArr([size], 42);
      // Float64 tile of a row-major array: output index (o_a) reads input index (o_a mod shape_a).
      const tile = (v: Float64Array): Float64Array => {
        const y = new Float64Array(size);
        for (let i = 0; i < size; i++) {
          let rest = i;
          let src = 0;
          let stride = 1;
          for (let a = out.length - 1; a >= 0; a--) {
            src += (rest % out[a]!) % shape[a]! * stride;
            rest = Math.floor(rest / out[a]!);
            stride *= shape[a]!;
          }
          y[i] = v[src]!;
        }
        return y;
      };
      tf.tidy(() => {
        const rt = t({ data: r.data, shape: out });
        // f(x) = Σ r · tile(x²)
        const f = (z: tf.Tensor) => tf.sum(tf.mul(rt, tf.tile(tf.square(z), reps)));
        const g = tf.grad(f)(t(x));
        expectClose(vals(g), numericGrad((v) => tile(v.map((q) => q * q)).reduce((acc, q, i) => acc + q * r.data[i]!, 0), x.data), 1e-4, 1e-6);
        // h(x) = Σ (∂f/∂x)² = Σ (2x·b)², b = Σ of r over x's repetitions: ∂h/∂x = 8x·b².
        const h = tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.grad(f)(a))))(t(x));
        const b = Float64Array.from(vals(g)).map((gi, i) => gi / (2 * x.data[i]!));
        expectClose(vals(h), x.data.map((xi, i) => 8 * xi * b[i]! * b[i]!), 1e-4, 1e-6);
      });
    }
  });

  it('dense and matMul2d (native: one kernel each): values, gradients and second derivatives against float64', () => {
    // Plain float64 helpers on row-major matrices.
    const mm = (a: Float64Array, b: Float64Array, n: number, k: number, m: number, tA = false, tB = false): Float64Array => {
      const out = new Float64Array(n * m);
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
        let acc = 0;
        for (let q = 0; q < k; q++) acc += a[tA ? q * n + i : i * k + q]! * b[tB ? j * k + q : q * m + j]!;
        out[i * m + j] = acc;
      }
      return out;
    };
    const n = 5, k = 4, m = 3;
    const x = randomArr([n, k], 41), w = randomArr([k, m], 42), b = randomArr([m], 43), r = randomArr([n, m], 44);
    for (const activation of ['linear', 'relu'] as const) {
      const act = (z: number) => (activation === 'relu' ? Math.max(z, 0) : z);
      const dAct = (z: number) => (activation === 'relu' ? (z > 0 ? 1 : 0) : 1);
      const pre = (xv: Float64Array, wv: Float64Array, bv: Float64Array) => mm(xv, wv, n, k, m).map((z, i) => z + bv[i % m]!);
      const f = (xv: Float64Array, wv: Float64Array, bv: Float64Array) => dot(r.data, pre(xv, wv, bv).map(act));
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const y = dense(t(x) as tf.Tensor2D, t(w) as tf.Tensor2D, t(b) as tf.Tensor1D, activation);
        expectClose(vals(y), pre(x.data, w.data, b.data).map(act), 1e-5, 1e-6);
        const [gx, gw, gb] = tf.grads((xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) =>
          tf.sum(tf.mul(t(r), dense(xt as tf.Tensor2D, wt as tf.Tensor2D, bt as tf.Tensor1D, activation))))([t(x), t(w), t(b)]);
        expectClose(vals(gx!), numericGrad((v) => f(v, w.data, b.data), x.data), 1e-4, 1e-6);
        expectClose(vals(gw!), numericGrad((v) => f(x.data, v, b.data), w.data), 1e-4, 1e-6);
        expectClose(vals(gb!), numericGrad((v) => f(x.data, w.data, v), b.data), 1e-4, 1e-6);
        // Double backprop: h(w) = Σ (∂f/∂x)² with ∂f/∂x = (r ⊙ act'(z)) Wᵀ.
        const h = (wv: Float64Array) => {
          const z = pre(x.data, wv, b.data);
          const g = r.data.map((ri, i) => ri * dAct(z[i]!));
          return mm(g, wv, n, m, k, false, true).reduce((acc, q) => acc + q * q, 0);
        };
        const gh = tf.grad((wt: tf.Tensor) => tf.sum(tf.square(tf.grad((xt: tf.Tensor) =>
          tf.sum(tf.mul(t(r), dense(xt as tf.Tensor2D, wt as tf.Tensor2D, t(b) as tf.Tensor1D, activation))))(t(x)))))(t(w));
        expectClose(vals(gh), numericGrad(h, w.data), 1e-4, 1e-6);
        // ∂/∂b of Σ (∂f/∂b)²-style second derivative: the bias gradient kernel is linear in dy.
        const hb = tf.grad((rt: tf.Tensor) => tf.sum(tf.square(tf.grad((bt: tf.Tensor) =>
          tf.sum(tf.mul(rt, dense(t(x) as tf.Tensor2D, t(w) as tf.Tensor2D, bt as tf.Tensor1D, activation))))(t(b)))))(t(r));
        const z = pre(x.data, w.data, b.data);
        const colSums = (rv: Float64Array) => Array.from({ length: m }, (_, j) => Array.from({ length: n }, (_, i) => rv[i * m + j]! * dAct(z[i * m + j]!)).reduce((a2, q) => a2 + q, 0));
        expectClose(vals(hb), numericGrad((rv) => colSums(rv).reduce((a2, q) => a2 + q * q, 0), r.data), 1e-4, 1e-6);
      });
      // Nothing left behind by the kernels and their gradients.
      expect(tf.memory().numTensors).toBe(before);
    }
    // matMul2d with every transpose combination: f(a, b) = Σ r ⊙ op(a) op(b), and h(a) = Σ (∂f/∂b)².
    for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      const a = randomArr(tA ? [k, n] : [n, k], 45), bb = randomArr(tB ? [m, k] : [k, m], 46);
      const f = (av: Float64Array, bv: Float64Array) => dot(r.data, mm(av, bv, n, k, m, tA, tB));
      tf.tidy(() => {
        expectClose(vals(matMul2d(t(a) as tf.Tensor2D, t(bb) as tf.Tensor2D, tA, tB)), mm(a.data, bb.data, n, k, m, tA, tB), 1e-5, 1e-6);
        const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(t(r), matMul2d(p as tf.Tensor2D, q as tf.Tensor2D, tA, tB))))([t(a), t(bb)]);
        expectClose(vals(ga!), numericGrad((v) => f(v, bb.data), a.data), 1e-4, 1e-6);
        expectClose(vals(gb!), numericGrad((v) => f(a.data, v), bb.data), 1e-4, 1e-6);
        const gh = tf.grad((p: tf.Tensor) => tf.sum(tf.square(tf.grad((q: tf.Tensor) =>
          tf.sum(tf.mul(t(r), matMul2d(p as tf.Tensor2D, q as tf.Tensor2D, tA, tB))))(t(bb)))))(t(a));
        const h = (av: Float64Array) => numericGrad((v) => f(av, v), bb.data).reduce((acc, q) => acc + q * q, 0);
        expectClose(vals(gh), numericGrad(h, a.data, 1e-3), 1e-3, 1e-5);
      });
    }
    if (backend === 'tensorflow') {
      // One kernel per dense layer and per product on the native backend.
      const seen: string[] = [];
      const engine = tf.engine();
      const run = engine.runKernel.bind(engine);
      engine.runKernel = ((name: string, ...rest: unknown[]) => {
        seen.push(name);
        return (run as (...a: unknown[]) => unknown)(name, ...rest);
      }) as typeof engine.runKernel;
      try {
        tf.tidy(() => {
          dense(t(x) as tf.Tensor2D, t(w) as tf.Tensor2D, t(b) as tf.Tensor1D, 'relu');
          matMul2d(t(x) as tf.Tensor2D, t(w) as tf.Tensor2D);
        });
      } finally {
        engine.runKernel = run;
      }
      expect(seen).toEqual([DENSE, MATMUL_2D]);
    }
  });

  it('comparisons have zero gradients', () => {
    tf.tidy(() => {
      const x = tf.tensor1d([-1, 0.5, 2]), y = tf.tensor1d([0, 0.5, 1]);
      for (const op of [tf.greater, tf.greaterEqual, tf.less, tf.lessEqual, tf.equal, tf.notEqual]) {
        const [ga, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.cast(op(a, b), 'float32'), a)))([x, y]);
        expect(Array.from(vals(ga!))).toEqual(Array.from(vals(tf.cast(op(x, y), 'float32'))));
        expect(Array.from(vals(gb!))).toEqual([0, 0, 0]);
      }
    });
  });

  it('batchNorm of a rank-5 tensor: forward and gradients w.r.t. all inputs', () => {
    const eps = 1e-3, shape = [2, 2, 3, 2, 3];
    const x = randomArr(shape, 15), r = randomArr(shape, 16);
    const m = randomArr([3], 17), s = randomArr([3], 18), o = randomArr([3], 19);
    const vr = arr([3], randomArr([3], 20).data.map((q) => 0.5 + q * q));
    const bn = (xv: Arr, mv: Arr, vv: Arr, sv: Arr, ov: Arr) =>
      arr(shape, xv.data.map((xi, i) => ((xi - mv.data[i % 3]!) / Math.sqrt(vv.data[i % 3]! + eps)) * sv.data[i % 3]! + ov.data[i % 3]!));
    const args = [x, m, vr, s, o];
    tf.tidy(() => {
      const [xt, mt, vt, st, ot] = args.map(t) as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
      expectClose(vals(tf.batchNorm(xt, mt, vt, ot, st, eps)), bn(x, m, vr, s, o).data, 1e-5);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) =>
        tf.sum(tf.mul(t(r), tf.batchNorm(a, b as tf.Tensor1D, c as tf.Tensor1D, e as tf.Tensor1D, d as tf.Tensor1D, eps))))([xt, mt, vt, st, ot]);
      args.forEach((arg, k) => {
        const f = (v: Float64Array) => dot(r.data, bn(...(args.map((q, j) => (j === k ? arr(q.shape, v) : q)) as [Arr, Arr, Arr, Arr, Arr])).data);
        expectClose(vals(grads[k]!), numericGrad(f, arg.data), 1e-4);
      });
    });
  });

  it('batchNorm of rank-2, -3 and -5 tensors (native: reshaped for oneDNN\'s rank-4 FusedBatchNorm)', () => {
    const eps = 1e-3;
    for (const shape of [[4, 3], [2, 5, 3], [3, 2, 1, 2, 3]]) {
      const x = randomArr(shape, 26), m = randomArr([3], 27), s = randomArr([3], 28), o = randomArr([3], 29);
      const vr = arr([3], randomArr([3], 30).data.map((q) => 0.5 + q * q));
      const want = x.data.map((xi, i) => ((xi - m.data[i % 3]!) / Math.sqrt(vr.data[i % 3]! + eps)) * s.data[i % 3]! + o.data[i % 3]!);
      tf.tidy(() => {
        const y = tf.batchNorm(t(x), t(m) as tf.Tensor1D, t(vr) as tf.Tensor1D, t(o) as tf.Tensor1D, t(s) as tf.Tensor1D, eps);
        expect(y.shape).toEqual(shape);
        expectClose(vals(y), want, 1e-5);
      });
    }
  });

  it('gather and gatherND gradients (wasm: UnsortedSegmentSum from cpu)', () => {
    const p = randomArr([5, 3], 21), r1 = randomArr([4, 3], 22), r2 = randomArr([3], 23);
    const idx = [4, 0, 4, 2], nd = [[1, 2], [4, 0], [1, 2]];
    const gatherF = (v: Float64Array) => idx.reduce((s, i, k) => s + [0, 1, 2].reduce((q, j) => q + v[i * 3 + j]! * r1.data[k * 3 + j]!, 0), 0);
    const ndF = (v: Float64Array) => nd.reduce((s, [i, j], k) => s + v[i! * 3 + j!]! * r2.data[k]!, 0);
    tf.tidy(() => {
      const g1 = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(t(r1), tf.gather(a, tf.tensor1d(idx, 'int32')))))(t(p));
      expectClose(vals(g1), numericGrad(gatherF, p.data), 1e-5);
      const g2 = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(t(r2), tf.gatherND(a, tf.tensor2d(nd, [3, 2], 'int32')))))(t(p));
      expectClose(vals(g2), numericGrad(ndF, p.data), 1e-5);
      const seg = tf.unsortedSegmentSum(t(p), tf.tensor1d([2, 0, 2, 1, 0], 'int32'), 3);
      const want = [0, 1, 2].flatMap((sgm) => [0, 1, 2].map((j) => [0, 1, 2, 3, 4].filter((i) => [2, 0, 2, 1, 0][i] === sgm).reduce((q, i) => q + p.data[i * 3 + j]!, 0)));
      expectClose(vals(seg), want, 1e-6);
    });
  });

  it('ops of rational-quadratic splines: cumsum, softmax, softplus, logSumExp, where gradients and searchSorted', () => {
    const x = randomArr([2, 6], 24), r = randomArr([2, 6], 25);
    const rows = (v: Float64Array) => [Array.from(v.slice(0, 6)), Array.from(v.slice(6))];
    const cumsum = (v: Float64Array) => rows(v).flatMap((row) => row.map((_, i) => row.slice(0, i + 1).reduce((a, b) => a + b, 0)));
    const softmax = (v: Float64Array) => rows(v).flatMap((row) => { const e = row.map(Math.exp); const z = e.reduce((a, b) => a + b); return e.map((q) => q / z); });
    const softplus = (v: Float64Array) => Array.from(v, (q) => Math.log1p(Math.exp(q)));
    const lse = (v: Float64Array) => rows(v).map((row) => Math.log(row.reduce((a, b) => a + Math.exp(b), 0)));
    const whereF = (v: Float64Array) => Array.from(v, (q, i) => (i % 3 === 0 ? q * q : 2 * q));
    const cases: [string, (a: tf.Tensor) => tf.Tensor, (v: Float64Array) => number[]][] = [
      ['cumsum', (a) => tf.cumsum(a, 1), cumsum],
      ['softmax', (a) => tf.softmax(a), softmax],
      ['softplus', (a) => tf.softplus(a), softplus],
      ['logSumExp', (a) => tf.logSumExp(a, 1), lse],
      ['where', (a) => tf.where(tf.tensor2d([1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0], [2, 6], 'bool'), tf.square(a), tf.mul(a, 2)), whereF],
    ];
    tf.tidy(() => {
      for (const [, op, ref] of cases) {
        const g = tf.grad((a: tf.Tensor) => { const y = op(a); return tf.sum(tf.mul(tf.reshape(t(r), [-1]).slice(0, y.size).reshape(y.shape), y)); })(t(x));
        const f = (v: Float64Array) => dot(r.data.slice(0, ref(v).length), ref(v));
        expectClose(vals(g), numericGrad(f, x.data), 1e-4);
      }
      const edges = tf.tensor2d([[0, 1, 2, 3], [-1, 0, 5, 9]]), q = tf.tensor2d([[0.5, 2.5, 3], [-2, 4, 9.5]]);
      expect(Array.from(tf.searchSorted(edges, q, 'right').dataSync())).toEqual([1, 3, 4, 0, 2, 4]);
    });
  });

  it(`runs on ${backend}`, () => {
    expect(tf.getBackend()).toBe(backend);
  });
});
