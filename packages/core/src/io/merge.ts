/**
 * Joining shard files of one generation run into a single CaloChallenge file. Streams in
 * chunks (never holds a shard whole) and writes atomically through `createShowerWriter`.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AbortedError, DataFormatError, InvalidArgumentError } from '../errors.js';
import { ATTR_CALOZOO_VERSION, ATTR_GENERATOR, ATTR_GEOMETRY, ATTR_SEED, type AttributeInput, type AttributeValue } from './attributes.js';
import { openShowerFile, type ShowerFile } from './shower-file.js';
import { createShowerWriter, type ShowerWriterOptions } from './shower-writer.js';
import type { Showers } from '../showers.js';
import { ATTR_SHARD, parseShard } from '../generate/shard.js';

/** Options of `mergeShowerFiles`. */
export interface MergeShowerFilesOptions {
  /** Showers per read/append; default about 16 MiB of voxels. */
  chunkRows?: number;
  /** gzip level of the output (default the writer's, 4). */
  compression?: number;
  /** Called after each chunk with showers merged so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stops the merge between chunks (`AbortedError`; nothing is left under the output path). */
  signal?: AbortSignal;
}

/** Summary returned by `mergeShowerFiles`. */
export interface MergeShowerFilesResult {
  /** Output path. */
  path: string;
  /** Showers written. */
  n: number;
  /** Voxels per shower. */
  voxels: number;
  /** Input files in the order merged (by shard index when every input has a `shard` attribute). */
  inputs: string[];
}

const OWN = new Set<string>([ATTR_CALOZOO_VERSION, ATTR_GEOMETRY, ATTR_GENERATOR, ATTR_SEED, ATTR_SHARD]);

function asInput(v: AttributeValue): AttributeInput | undefined {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

function orderByShard(files: ShowerFile[]): ShowerFile[] {
  if (!files.every((f) => typeof f.attributes[ATTR_SHARD] === 'string')) return files;
  const specs = files.map((f) => ({ f, s: parseShard(f.attributes[ATTR_SHARD] as string) }));
  const count = specs[0]!.s.count;
  const seen = new Set(specs.map((x) => x.s.index));
  if (specs.some((x) => x.s.count !== count) || seen.size !== specs.length || specs.length !== count) {
    const list = specs.map((x) => `${x.f.path} (${x.s.index}/${x.s.count})`).join(', ');
    throw new DataFormatError(`mergeShowerFiles: the inputs are not the shards 1…N of one run: ${list}. Pass every shard exactly once.`, {
      expected: `shards 1/${count} … ${count}/${count}`,
      found: list,
    });
  }
  return specs.sort((a, b) => a.s.index - b.s.index).map((x) => x.f);
}

/**
 * Concatenates shower files (e.g. the shards of `generate --shard k/N`) into `output`. All
 * inputs must agree on voxel count, optional conditions and the geometry and generator
 * attributes; if every input carries a `shard` attribute they must be shards 1…N of one run
 * and are merged in shard order. Nothing appears under `output` unless the merge completes.
 * @throws DataFormatError naming the disagreeing file and attribute; AbortedError when `signal` fires
 */
export async function mergeShowerFiles(inputs: readonly string[], output: string, options: MergeShowerFilesOptions = {}): Promise<MergeShowerFilesResult> {
  if (inputs.length === 0) throw new InvalidArgumentError('mergeShowerFiles: no input files');
  if (inputs.includes(output)) throw new InvalidArgumentError(`mergeShowerFiles: the output ${output} is also an input`);
  const opened: ShowerFile[] = [];
  try {
    for (const p of inputs) opened.push(await openShowerFile(p));
    const files = orderByShard(opened);
    const first = files[0]!;
    for (const f of files.slice(1)) {
      const checks: [string, unknown, unknown][] = [
        ['voxel count', f.voxels, first.voxels],
        ['conditions', f.conditions.join(',') || 'energy only', first.conditions.join(',') || 'energy only'],
        [`"${ATTR_GEOMETRY}" attribute`, f.attributes[ATTR_GEOMETRY], first.attributes[ATTR_GEOMETRY]],
        [`"${ATTR_GENERATOR}" attribute`, f.attributes[ATTR_GENERATOR], first.attributes[ATTR_GENERATOR]],
      ];
      for (const [what, found, expected] of checks) {
        if (String(found) !== String(expected)) {
          throw new DataFormatError(`mergeShowerFiles: ${f.path} has ${what} ${String(found)} but ${first.path} has ${String(expected)}; shards of one run must agree.`, {
            file: f.path,
            expected: String(expected),
            found: String(found),
          });
        }
      }
    }
    const total = files.reduce((s, f) => s + f.n, 0);
    const geometry = first.attributes[ATTR_GEOMETRY];
    const seeds = [...new Set(files.map((f) => f.attributes[ATTR_SEED]).filter((s) => typeof s === 'number'))] as number[];
    const attributes: Record<string, AttributeInput> = {};
    for (const [k, v] of Object.entries(first.attributes)) {
      const a = OWN.has(k) ? undefined : asInput(v);
      if (a !== undefined) attributes[k] = a;
    }
    if (seeds.length > 1) attributes.seeds = seeds;
    attributes.merged_from = files.length;
    const wopts: ShowerWriterOptions = { n: total, conditions: first.conditions, dtype: first.dtype, attributes };
    if (typeof geometry === 'string') wopts.geometry = { id: geometry, voxels: first.voxels };
    else wopts.voxels = first.voxels;
    if (typeof first.attributes[ATTR_GENERATOR] === 'string') wopts.generator = first.attributes[ATTR_GENERATOR] as string;
    if (seeds.length === 1) wopts.seed = seeds[0]!;
    if (options.compression !== undefined) wopts.compression = options.compression;
    const writer = await createShowerWriter(output, wopts);
    try {
      const rows = Math.max(1, options.chunkRows ?? Math.floor((16 << 20) / (4 * first.voxels)));
      const buf: Showers = { n: rows, voxels: first.voxels, energy: new Float32Array(rows), values: new Float32Array(rows * first.voxels) };
      if (first.conditions.includes('theta')) buf.theta = new Float32Array(rows);
      if (first.conditions.includes('phi')) buf.phi = new Float32Array(rows);
      let done = 0;
      for (const f of files) {
        for (let s = 0; s < f.n; s += rows) {
          // Between chunks: let a signal handler run (Ctrl-C), then honour it.
          await yieldToLoop();
          if (options.signal?.aborted) throw new AbortedError(`mergeShowerFiles: aborted after ${done} of ${total} showers; ${output} was not written`);
          writer.append(f.readRange(s, Math.min(f.n, s + rows), buf));
          done += Math.min(f.n, s + rows) - s;
          options.onProgress?.(done, total);
        }
      }
      await writer.close();
    } catch (e) {
      await writer.abort();
      throw e;
    }
    return { path: output, n: total, voxels: first.voxels, inputs: files.map((f) => f.path) };
  } finally {
    for (const f of opened) f.close();
  }
}
