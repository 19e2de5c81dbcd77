import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ModelFormatError } from '../../src/errors.js';
import { OnnxGraphBuilder, createOrtSession, readOnnxInfo, writeOnnx } from '../../src/onnx/index.js';
import { Rng } from '../../src/rng.js';
import { maxRelDiff, randn, runOnnx } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'calozoo-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('OnnxGraphBuilder + writeOnnx', () => {
  it('writes a model that decodes to the declared header, inputs, outputs and metadata', async () => {
    const g = new OnnxGraphBuilder({ opset: 17 });
    const x = g.input('x', 'float32', [null, 3]);
    const y = g.dense(x, { data: new Float32Array(6).fill(1), shape: [3, 2] }, { data: Float32Array.of(1, 2), shape: [2] }, 'relu');
    expect(y.shape).toEqual([null, 2]);
    g.output(y, 'y');
    const file = join(dir, 'sub', 'm.onnx');
    await writeOnnx(file, g, { props: { plugin: 'test', seed: 7 } });
    const info = await readOnnxInfo(file);
    expect(info).toMatchObject({ irVersion: 8, opset: 17, producerName: 'calozoo', inputs: ['x'], outputs: ['y'], props: { plugin: 'test', seed: '7' } });
    expect(info.opTypes).toEqual(['Add', 'Identity', 'MatMul', 'Relu']);
    expect(readFileSync(file).byteLength).toBeGreaterThan(24);
    const out = await runOnnx(g, { x: { data: Float32Array.of(1, -2, 0.5, -3, -3, -3), dims: [2, 3] } });
    expect([...(out.y!.data as Float32Array)]).toEqual([0.5, 1.5, 0, 0]);
    expect(out.y!.dims).toEqual([2, 2]);
  });

  it('runs the elementwise, shape and reduction ops as their definitions say', async () => {
    const g = new OnnxGraphBuilder();
    const x = g.input('x', 'float32', [2, 3]);
    const e = (f: (v: number) => number, xs: Float32Array): number[] => [...xs].map(f);
    const xs = Float32Array.of(-1.5, 0.25, 2, 3, -0.5, 1);
    const pos = g.add(g.abs(x), 0.1);
    const outs: Record<string, [ReturnType<typeof g.relu>, number[]]> = {
      leaky: [g.leakyRelu(x, 0.2), e((v) => (v >= 0 ? v : 0.2 * v), xs)],
      sig: [g.sigmoid(x), e((v) => 1 / (1 + Math.exp(-v)), xs)],
      tanh: [g.tanh(x), e(Math.tanh, xs)],
      sp: [g.softplus(x), e((v) => Math.log1p(Math.exp(v)), xs)],
      exp: [g.exp(x), e(Math.exp, xs)],
      log: [g.log(pos), e((v) => Math.log(Math.abs(v) + 0.1), xs)],
      sqrt: [g.sqrt(pos), e((v) => Math.sqrt(Math.abs(v) + 0.1), xs)],
      neg: [g.neg(x), e((v) => -v, xs)],
      clip: [g.clip(x, -1, 1), e((v) => Math.min(1, Math.max(-1, v)), xs)],
      mx: [g.max(g.mul(x, 2), g.sub(x, -1)), e((v) => Math.max(2 * v, v + 1), xs)],
      mn: [g.min(g.div(x, 2), 0), e((v) => Math.min(v / 2, 0), xs)],
      wh: [g.where(g.greater(x, 0), x, g.where(g.less(x, -1), 9, g.cast(g.equal(x, -0.5), 'float32'))), e((v) => (v > 0 ? v : v < -1 ? 9 : v === -0.5 ? 1 : 0), xs)],
      sum: [g.reduceSum(x, [1]), [0.75, 3.5]],
      rmax: [g.reduceMax(x, [0], true), [3, 0.25, 2]],
      cum: [g.cumSum(x, 1), [-1.5, -1.25, 0.75, 3, 2.5, 3.5]],
      cumx: [g.cumSum(x, 1, { exclusive: true, reverse: true }), [2.25, 2, 0, 0.5, 1, 0]],
      sm: [g.softmax(x), (() => { const r: number[] = []; for (const row of [[-1.5, 0.25, 2], [3, -0.5, 1]]) { const z = row.map(Math.exp); const s = z.reduce((a, b) => a + b); r.push(...z.map((v) => v / s)); } return r; })()],
      tr: [g.transpose(x, [1, 0]), [-1.5, 3, 0.25, -0.5, 2, 1]],
      rs: [g.squeeze(g.unsqueeze(g.reshape(x, [3, 2]), [0]), [0]), [...xs]],
      sl: [g.slice(x, [0, 1], [2, 3]), [0.25, 2, -0.5, 1]],
      ga: [g.gather(x, [2, 0], 1), [2, -1.5, 1, 3]],
      cc: [g.concat(g.split(x, 1, [1, 2]).reverse(), 1), [0.25, 2, -1.5, -0.5, 1, 3]],
      gemm: [g.gemm(x, { data: Float32Array.of(1, 0, 0, 1, 1, 1), shape: [2, 3] }, { data: Float32Array.of(10, 20), shape: [2] }, { transB: true }), [8.5, 20.75, 13, 23.5]],
    };
    for (const [name, [v]] of Object.entries(outs)) g.output(v, name);
    expect(outs.gemm![0].shape).toEqual([2, 2]);
    expect(outs.ga![0].shape).toEqual([2, 2]);
    expect(outs.sl![0].shape).toEqual([2, 2]);
    expect(outs.rmax![0].shape).toEqual([1, 3]);
    const res = await runOnnx(g, { x: { data: xs, dims: [2, 3] } });
    for (const [name, [v, want]] of Object.entries(outs)) {
      expect(res[name]!.dims, name).toEqual(v.shape);
      expect(maxRelDiff(res[name]!.data as Float32Array, want), name).toBeLessThan(1e-6);
    }
  });

  it('nonZero and scatterND: the non-zero entries gathered, changed and written back', async () => {
    const g = new OnnxGraphBuilder();
    const x = g.input('x', 'float32', [2, 3]);
    const flat = g.reshape(x, [-1]);
    const at = g.nonZero(g.greater(flat, 0));
    expect(at.shape).toEqual([1, null]);
    const idx = g.reshape(at, [-1]);
    const doubled = g.mul(g.gather(flat, idx), 2);
    g.output(g.reshape(g.scatterND(g.mul(flat, 0), g.unsqueeze(idx, [1]), doubled), [2, 3]), 'y');
    g.output(g.div(idx, g.scalar(3, 'int64')), 'row');
    const res = await runOnnx(g, { x: { data: Float32Array.of(0, 2, -1, 3, 0, 4), dims: [2, 3] } });
    expect(Array.from(res['y']!.data as Float32Array, (v) => v + 0)).toEqual([0, 4, 0, 6, 0, 8]);
    expect(Array.from(res['row']!.data as BigInt64Array, Number)).toEqual([0, 1, 1]);
  });

  it('reduceMax uses the axes attribute before opset 18 and the input from 18', async () => {
    for (const opset of [17, 18]) {
      const g = new OnnxGraphBuilder({ opset });
      g.output(g.reduceMax(g.input('x', 'float32', [2, 2]), [1]), 'y');
      const res = await runOnnx(g, { x: { data: Float32Array.of(1, 5, 7, 2), dims: [2, 2] } });
      expect([...(res.y!.data as Float32Array)]).toEqual([5, 7]);
    }
  });

  it('rejects bad names, shapes and opsets with InvalidArgumentError', () => {
    const g = new OnnxGraphBuilder();
    g.input('x', 'float32', [null, 4]);
    expect(() => g.input('x', 'float32', [1])).toThrow(InvalidArgumentError);
    expect(() => g.initializer('w', new Float32Array(5), [2, 3])).toThrow(/holds 6 values but data has 5/);
    expect(() => new OnnxGraphBuilder({ opset: 9 })).toThrow(InvalidArgumentError);
    expect(() => g.toBytes()).toThrow(/no outputs/);
    const x = g.input('x2', 'float32', [null, 4]);
    expect(() => g.dense(x, { data: new Float32Array(6), shape: [3, 2] })).toThrow(/4 features/);
    expect(() => g.add(x, g.input('z', 'float32', [2, 3]))).toThrow(/do not broadcast/);
  });

  it('createOrtSession reports bad models and missing inputs', async () => {
    await expect(createOrtSession(Uint8Array.of(1, 2, 3, 4))).rejects.toBeInstanceOf(ModelFormatError);
    await expect(readOnnxInfo(Uint8Array.of(0xff, 0xff, 0xff))).rejects.toBeInstanceOf(ModelFormatError);
    const g = new OnnxGraphBuilder();
    g.output(g.relu(g.input('x', 'float32', [null, 2])), 'y');
    const s = await createOrtSession(g.toBytes(), { threads: 2, provider: 'cpu' });
    expect(s.device.chosen).toBe('cpu');
    expect(s.threads).toBe(2);
    expect(s.inputNames).toEqual(['x']);
    await expect(s.run({})).rejects.toThrow(/missing input/);
    await expect(s.run({ x: { data: new Float32Array(3), dims: [2, 2] } })).rejects.toThrow(/need 4/);
    const big = randn(new Rng(1), 2 * 1000);
    const r = await s.run({ x: { data: big, dims: [1000, 2] } });
    expect(maxRelDiff(r.y!.data as Float32Array, big.map((v) => Math.max(0, v)))).toBe(0);
    await s.dispose();
    await expect(s.run({ x: { data: big, dims: [1000, 2] } })).rejects.toThrow(/after dispose/);
    const quiet = await createOrtSession(g.toBytes(), { threads: 1, allowSpinning: false });
    const q = await quiet.run({ x: { data: Float32Array.of(-1, 2), dims: [1, 2] } });
    expect([...(q.y!.data as Float32Array)]).toEqual([0, 2]);
    await quiet.dispose();
  });
});
