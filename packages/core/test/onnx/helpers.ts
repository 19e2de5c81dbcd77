/** Shared helpers of the ONNX tests: seeded random arrays, a max relative difference, a one-shot run. */
import { createOrtSession, type OnnxGraphBuilder } from '../../src/onnx/index.js';
import type { Rng } from '../../src/rng.js';

/** n standard-normal float32 values scaled by `scale`, from a fixed seed. */
export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

/** max |a − b| / max(1, max |b|): absolute for small outputs, relative for large ones. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  let m = 1;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

/** Runs the graph once in a single-threaded onnxruntime session and disposes of the session. */
export async function runOnnx(g: OnnxGraphBuilder, feeds: Record<string, { data: Float32Array; dims: number[] }>) {
  const s = await createOrtSession(g.toBytes(), { threads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.dispose();
  }
}
