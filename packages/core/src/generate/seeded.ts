/**
 * The seeded block scheme of generation: showers are generated in blocks of `GENERATION_BLOCK`
 * condition rows, block b with the seed `blockSeed(seed, b)`. A model's own `generate` only has to
 * give the same showers for the same seed whatever its batch size; the blocks make the result of
 * a whole request independent of how it is cut up, so that `loadModel(dir).generate(c, {seed})`,
 * `calozoo generate --seed` (which streams block by block into a file) and its shards
 * (`firstBlock`) give byte-identical showers.
 */
import { InvalidArgumentError } from '../errors.js';
import type { GenerateOptions, Generator } from '../model/interfaces.js';
import type { Conditions, Showers } from '../showers.js';

/** Condition rows per seeded block. */
export const GENERATION_BLOCK = 10_000;

/** The seed of generation block `block` for the user's `seed` (a 52-bit mix). */
export function blockSeed(seed: number, block: number): number {
  let h = (seed ^ 0x5bd1e995) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = (h + Math.imul(block + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) * 1024 + (block % 1024);
}

/** Rows [start, end) of every condition. */
export function sliceConditions(c: Conditions, start: number, end: number): Conditions {
  const out: Conditions = { energy: c.energy.subarray(start, end) };
  if (c.theta) out.theta = c.theta.subarray(start, end);
  if (c.phi) out.phi = c.phi.subarray(start, end);
  return out;
}

/** One block of a request: its index (counted from the request's `firstBlock`), rows and seed. */
export interface SeededBlock {
  index: number;
  start: number;
  end: number;
  seed: number;
}

/** The blocks of a request of `n` rows whose first block has index `firstBlock`. */
export function seededBlocks(n: number, seed: number, firstBlock = 0): SeededBlock[] {
  if (!(Number.isInteger(firstBlock) && firstBlock >= 0)) throw new InvalidArgumentError(`firstBlock must be a non-negative integer, got ${firstBlock}`);
  const out: SeededBlock[] = [];
  for (let b = 0, start = 0; start < n; b++, start += GENERATION_BLOCK) out.push({ index: firstBlock + b, start, end: Math.min(n, start + GENERATION_BLOCK), seed: blockSeed(seed, firstBlock + b) });
  return out;
}

const SEEDED = Symbol.for('calozoo.seededBlocks');

/**
 * `g` with a `generate` that runs the seeded block scheme over the model's own `generate` (every
 * other member is the model's). The registry (`loadModel`, `createModel`) hands out models
 * wrapped like this; wrapping twice is a no-op.
 */
export function withSeededBlocks<T extends Generator>(g: T): T {
  if ((g as unknown as Record<symbol, unknown>)[SEEDED]) return g;
  const generate = async (c: Conditions, o: GenerateOptions): Promise<Showers> => {
    const n = c.energy.length;
    const blocks = seededBlocks(n, o.seed, o.firstBlock ?? 0);
    const run = (b: SeededBlock): Promise<Showers> =>
      g.generate(sliceConditions(c, b.start, b.end), { ...o, seed: b.seed, firstBlock: undefined, onProgress: (e) => o.onProgress?.({ ...e, done: b.start + e.done, total: n }) });
    // One block (every call of the CLI's block-by-block writer): the model's showers as they are, no second copy.
    if (blocks.length === 1) return run(blocks[0]!);
    let values: Float32Array | null = null;
    let voxels = 0;
    for (const b of blocks) {
      const part = await run(b);
      if (!values) {
        voxels = part.voxels;
        values = new Float32Array(n * voxels);
      }
      values.set(part.values, b.start * voxels);
    }
    return { n, voxels, energy: Float32Array.from(c.energy), values: values ?? new Float32Array(0), ...(c.theta ? { theta: Float32Array.from(c.theta) } : {}), ...(c.phi ? { phi: Float32Array.from(c.phi) } : {}) };
  };
  return new Proxy(g, {
    get(target, prop, receiver) {
      if (prop === SEEDED) return true;
      if (prop === 'generate') return generate;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
