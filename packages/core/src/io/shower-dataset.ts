/**
 * `ShowerDataset`: one or more shower files (dataset 3 comes in two) seen as one indexed set
 * of rows, streamed in batches with bounded memory.
 *
 * Rows are read in blocks of whole HDF5 chunks (about `blockBytes`, default 8 MiB). The
 * seeded shuffle is two-level, as tf.data's and WebDataset's are: the order of blocks is a
 * random permutation, and the rows of `shuffleBufferBytes / blockBytes` consecutive blocks
 * (default 256 MiB, i.e. 32 blocks) are pooled and permuted before they are cut into batches.
 * Memory is bounded by that buffer, not by the file. A small file fits in one buffer and is
 * shuffled fully; for a large one each batch mixes rows of up to 32 random places in the file.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AbortedError, InvalidArgumentError } from '../errors.js';
import { Rng } from '../rng.js';
import type { Showers } from '../showers.js';
import { ShowerFileError } from './errors.js';
import { openShowerFile, type OpenShowerFileOptions, type OptionalCondition, type ShowerFile } from './shower-file.js';
import { compactShowers, concatIndexed, gatherFromParts, gatherShowers, type IndexedShowers } from './gather.js';

/** One batch: showers plus their row indices in the dataset (files concatenated in order). */
export interface ShowerBatch extends Showers {
  /** Row index of each shower in the whole (unsplit) dataset. */
  indices: Uint32Array;
}

/** Options of `ShowerDataset.batches`. */
export interface BatchOptions {
  /** Shuffle blocks and rows (needs `rng` or `seed`); default false. */
  shuffle?: boolean;
  /** Random stream for the shuffle (advanced by it). */
  rng?: Rng;
  /** Seed for the shuffle when no `rng` is given. */
  seed?: number;
  /** Drop the last, smaller batch; default false. */
  dropLast?: boolean;
  /** Stops the iteration with `AbortedError`. */
  signal?: AbortSignal;
  /**
   * Gather every batch into the same few buffers instead of new arrays (default false): no
   * garbage per batch, which otherwise piles up to ~100 MB between collections on large showers.
   * A batch is then valid only until the next one is requested: copy what you keep, and use
   * tensors made from it before moving on (TF.js may read the array when the tensor is first used).
   */
  reuse?: boolean;
}

/** Memory knobs of a `ShowerDataset`. */
export interface ShowerDatasetOptions {
  /** Target bytes (float32) of one read block, rounded to whole HDF5 chunks; default 8 MiB. */
  blockBytes?: number;
  /** Bytes of rows pooled for the row-level shuffle; default 256 MiB. */
  shuffleBufferBytes?: number;
}

interface Block {
  file: number;
  /** Global row range [start, end). */
  start: number;
  end: number;
}

const DEFAULT_BLOCK_BYTES = 8 << 20;
const DEFAULT_SHUFFLE_BYTES = 256 << 20;

function lowerBound(a: Uint32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Showers of one or more files, addressed by row index, read in bounded-memory batches. */
export class ShowerDataset {
  /** Voxels per shower. */
  readonly voxels: number;
  /** Optional conditions every file carries. */
  readonly conditions: readonly OptionalCondition[];
  private readonly offsets: number[];
  private readonly blocks: Block[];

  private constructor(
    /** The open files, in concatenation order. */
    readonly files: readonly ShowerFile[],
    private readonly rows: Uint32Array | null,
    private readonly options: ShowerDatasetOptions,
    private readonly owner: boolean,
  ) {
    const first = files[0];
    for (const f of files.slice(1)) {
      const same = f.voxels === first.voxels && f.conditions.join() === first.conditions.join();
      if (!same) {
        throw new ShowerFileError(
          'incompatible-files',
          `${f.path}: cannot be concatenated with ${first.path}: it has ${f.voxels} voxels and conditions [${f.conditions.join(', ')}], ` +
            `the first file ${first.voxels} voxels and [${first.conditions.join(', ')}]. Concatenate only files of one dataset.`,
          { file: f.path, dataset: 'showers', expected: `[N, ${first.voxels}]`, found: `[${f.n}, ${f.voxels}]` },
        );
      }
    }
    this.voxels = first.voxels;
    this.conditions = first.conditions;
    this.offsets = [0];
    for (const f of files) this.offsets.push(this.offsets[this.offsets.length - 1] + f.n);
    const target = options.blockBytes ?? DEFAULT_BLOCK_BYTES;
    this.blocks = [];
    files.forEach((f, k) => {
      const unit = f.chunkRows ?? 1;
      const rows = Math.max(unit, Math.floor(target / (4 * f.voxels) / unit) * unit);
      for (let s = 0; s < f.n; s += rows) {
        this.blocks.push({ file: k, start: this.offsets[k] + s, end: this.offsets[k] + Math.min(f.n, s + rows) });
      }
    });
  }

  /**
   * Opens one file or several (concatenated in the order given) as one dataset.
   * @throws ShowerFileError if a file is invalid or the files do not share voxels and conditions
   */
  static async open(paths: string | readonly string[], options: OpenShowerFileOptions & ShowerDatasetOptions = {}): Promise<ShowerDataset> {
    const list = typeof paths === 'string' ? [paths] : [...paths];
    if (list.length === 0) throw new InvalidArgumentError('ShowerDataset.open: pass at least one file');
    const files: ShowerFile[] = [];
    try {
      for (const p of list) files.push(await openShowerFile(p, options));
      return new ShowerDataset(files, null, options, true);
    } catch (e) {
      for (const f of files) f.close();
      throw e;
    }
  }

  /** Wraps files opened with `openShowerFile`; `close()` then closes them. */
  static fromFiles(files: readonly ShowerFile[], options: ShowerDatasetOptions = {}): ShowerDataset {
    if (files.length === 0) throw new InvalidArgumentError('ShowerDataset.fromFiles: pass at least one file');
    return new ShowerDataset(files, null, options, true);
  }

  /** Number of showers. */
  get n(): number {
    return this.rows ? this.rows.length : this.offsets[this.offsets.length - 1];
  }

  /** Row indices of this dataset in the whole dataset (a copy). */
  indices(): Uint32Array {
    return this.rows ? this.rows.slice() : Uint32Array.from({ length: this.n }, (_, i) => i);
  }

  /** A dataset of the given rows (indices into the whole dataset); shares the open files. */
  subset(indices: ArrayLike<number>): ShowerDataset {
    const total = this.offsets[this.offsets.length - 1];
    const rows = Uint32Array.from(indices).sort();
    for (let i = 0; i < rows.length; i++) {
      if (!(rows[i] < total)) throw new InvalidArgumentError(`ShowerDataset.subset: index ${rows[i]} is outside [0, ${total})`);
      if (i > 0 && rows[i] === rows[i - 1]) throw new InvalidArgumentError(`ShowerDataset.subset: index ${rows[i]} appears twice`);
    }
    return new ShowerDataset(this.files, rows, this.options, false);
  }

  /**
   * Splits into train and validation sets by row, at random but reproducibly: the same seed
   * gives the same split. Round(n · validationFraction) rows go to validation.
   */
  split(options: { validationFraction: number; seed: number }): { train: ShowerDataset; validation: ShowerDataset } {
    const { validationFraction: f, seed } = options;
    const n = this.n;
    const nVal = Math.round(n * f);
    if (!(f > 0 && f < 1) || nVal < 1 || nVal > n - 1) {
      throw new InvalidArgumentError(`ShowerDataset.split: validationFraction ${f} of ${n} showers leaves an empty set; pass a fraction in (0, 1) that keeps ≥ 1 shower on each side`);
    }
    const all = this.indices();
    const perm = new Rng(seed).permutation(n);
    const val = new Uint32Array(nVal);
    const train = new Uint32Array(n - nVal);
    for (let i = 0; i < n; i++) {
      if (i < nVal) val[i] = all[perm[i]];
      else train[i - nVal] = all[perm[i]];
    }
    return { train: new ShowerDataset(this.files, train.sort(), this.options, false), validation: new ShowerDataset(this.files, val.sort(), this.options, false) };
  }

  private emptyIndexed(rows: number): IndexedShowers {
    return { ...this.emptyBuffer(rows), indices: new Uint32Array(rows) };
  }

  private emptyBuffer(rows: number): Showers {
    const s: Showers = { n: rows, voxels: this.voxels, energy: new Float32Array(rows), values: new Float32Array(rows * this.voxels) };
    for (const c of this.conditions) s[c] = new Float32Array(rows);
    return s;
  }

  /** Reads the selected rows of one block (only the covering row range is read). */
  private readBlock(b: Block, into?: Showers): IndexedShowers | null {
    let lo = b.start;
    let hi = b.end;
    let picked: Uint32Array | null = null;
    if (this.rows) {
      const i0 = lowerBound(this.rows, b.start);
      const i1 = lowerBound(this.rows, b.end);
      if (i0 === i1) return null;
      picked = this.rows.subarray(i0, i1);
      lo = picked[0];
      hi = picked[picked.length - 1] + 1;
    }
    const off = this.offsets[b.file];
    const s = this.files[b.file].readRange(lo - off, hi - off, into);
    if (!picked || picked.length === hi - lo) {
      return { ...s, indices: picked ? picked.slice() : Uint32Array.from({ length: hi - lo }, (_, i) => lo + i) };
    }
    const local = Uint32Array.from(picked, (g) => g - lo);
    // A buffer of the caller's is compacted in place (no second copy of the block).
    return { ...(into ? compactShowers(s, local) : gatherShowers(s, local)), indices: picked.slice() };
  }

  /**
   * Streams batches of `batchSize` showers (the last one smaller unless `dropLast`).
   * @throws AbortedError when `signal` fires; InvalidArgumentError for a shuffle without rng/seed
   */
  async *batches(batchSize: number, options: BatchOptions = {}): AsyncGenerator<ShowerBatch> {
    if (!(Number.isSafeInteger(batchSize) && batchSize > 0)) throw new InvalidArgumentError(`ShowerDataset.batches: batchSize must be a positive integer, got ${batchSize}`);
    const { shuffle = false, dropLast = false, signal } = options;
    let rng = options.rng;
    if (shuffle && !rng) {
      if (options.seed === undefined) throw new InvalidArgumentError('ShowerDataset.batches: shuffle needs an explicit rng or seed (calozoo never draws unseeded randomness)');
      rng = new Rng(options.seed);
    }
    const check = (): void => {
      if (signal?.aborted) throw new AbortedError('ShowerDataset.batches: aborted');
    };
    const order = shuffle ? Array.from((rng as Rng).permutation(this.blocks.length)) : this.blocks.map((_, i) => i);
    const blockBytes = this.options.blockBytes ?? DEFAULT_BLOCK_BYTES;
    const group = shuffle ? Math.max(1, Math.floor((this.options.shuffleBufferBytes ?? DEFAULT_SHUFFLE_BYTES) / blockBytes)) : 1;
    let carry: IndexedShowers | null = null;
    // With `reuse`: one buffer for the batches handed out, two for the carried remainder (the
    // next carry is gathered from parts that include the previous one).
    const pool = options.reuse ? [0, 1, 2].map(() => this.emptyIndexed(batchSize)) : null;
    let carrySlot = 1;
    // block buffers are reused from group to group (batches are copies), which keeps the
    // garbage, and so the resident memory between collections, small
    const buffers: Showers[] = [];
    const maxRows = this.blocks.reduce((a, x) => Math.max(a, x.end - x.start), 1);
    let next = 0;
    while (next < order.length) {
      const parts: IndexedShowers[] = carry ? [carry] : [];
      let rows = carry ? carry.n : 0;
      // a group is `group` blocks, or more when a batch needs more rows than that
      for (let slot = 0; next < order.length && (slot < group || rows < batchSize); slot++) {
        check();
        await yieldToLoop();
        buffers[slot] ??= this.emptyBuffer(maxRows);
        const part = this.readBlock(this.blocks[order[next++]], buffers[slot]);
        if (part) {
          parts.push(part);
          rows += part.n;
        }
      }
      if (parts.length === 0) continue;
      // batches are gathered straight from the blocks: no pooled copy of the buffer is made
      const offsets = [0];
      for (const p of parts) offsets.push(offsets[offsets.length - 1] + p.n);
      const m = offsets[parts.length];
      const perm = shuffle ? (rng as Rng).permutation(m) : null;
      const take = (a: number, b: number, into?: IndexedShowers): IndexedShowers =>
        gatherFromParts(parts, offsets, perm ? perm.subarray(a, b) : Uint32Array.from({ length: b - a }, (_, i) => a + i), this.voxels, into);
      let i = 0;
      for (; i + batchSize <= m; i += batchSize) {
        check();
        yield take(i, i + batchSize, pool?.[0]);
      }
      carry = i < m ? take(i, m, pool?.[(carrySlot = 3 - carrySlot)]) : null;
    }
    if (carry && !dropLast) {
      check();
      yield carry;
    }
  }

  /**
   * Reads every selected row into memory, in index order; for small files.
   * @throws InvalidArgumentError if that needs more than `maxBytes` (default 2 GiB)
   */
  readAll(options: { maxBytes?: number } = {}): Showers & { indices: Uint32Array } {
    const max = options.maxBytes ?? 2 ** 31;
    const bytes = this.n * this.voxels * 4;
    if (bytes > max) {
      throw new InvalidArgumentError(`ShowerDataset.readAll: ${this.n} showers × ${this.voxels} voxels need ${(bytes / 2 ** 20).toFixed(0)} MiB, more than maxBytes = ${(max / 2 ** 20).toFixed(0)} MiB; stream with batches() instead`);
    }
    const parts: IndexedShowers[] = [];
    for (const b of this.blocks) {
      const p = this.readBlock(b);
      if (p) parts.push(p);
    }
    return concatIndexed(parts, this.voxels);
  }

  /** Closes the files (only on the dataset that opened them; subsets share them). */
  close(): void {
    if (this.owner) for (const f of this.files) f.close();
  }
}
