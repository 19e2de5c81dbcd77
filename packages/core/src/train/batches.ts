/**
 * Where a training phase's batches come from. A `BatchSource` yields the batches of one epoch in
 * a seeded order and can start at any step, so that a run resumed from a checkpoint taken in the
 * middle of an epoch sees exactly the batches the uninterrupted run would have seen.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { InvalidArgumentError } from '../errors.js';
import type { ShowerBatch, ShowerDataset } from '../io/shower-dataset.js';
import type { Rng } from '../rng.js';

/** The batches of a phase, epoch by epoch. */
export interface BatchSource<B> {
  /** Batches (training steps) per epoch. */
  readonly steps: number;
  /**
   * The batches of `epoch` from step `from` on. `rng` is the epoch's own shuffle stream (the same
   * for a resumed run); a source must give the same batches for the same (epoch, rng) whatever
   * `from` is.
   */
  epoch(epoch: number, from: number, rng: Rng): Iterable<B> | AsyncIterable<B>;
}

/** Options of `shuffledRows`. */
export interface ShuffledRowsOptions {
  /** Drop the last, smaller batch of an epoch (default true: every step sees `batchSize` rows). */
  dropLast?: boolean;
  /** Map batch positions through these rows (e.g. the training split of a larger array). */
  rows?: Uint32Array;
}

/**
 * Batches of row indices of an in-memory training set of `n` rows: a fresh permutation per epoch,
 * cut into batches of `batchSize` (at most n).
 */
export function shuffledRows(n: number, batchSize: number, options: ShuffledRowsOptions = {}): BatchSource<Uint32Array> {
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidArgumentError(`shuffledRows: need at least one row, got ${n}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new InvalidArgumentError(`shuffledRows: batchSize must be a positive integer, got ${batchSize}`);
  if (options.rows && options.rows.length !== n) throw new InvalidArgumentError(`shuffledRows: rows has ${options.rows.length} entries, expected ${n}`);
  const batch = Math.min(batchSize, n);
  const dropLast = options.dropLast ?? true;
  const steps = dropLast ? Math.max(1, Math.floor(n / batch)) : Math.ceil(n / batch);
  const map = options.rows;
  return {
    steps,
    *epoch(_epoch: number, from: number, rng: Rng): Iterable<Uint32Array> {
      const perm = rng.permutation(n);
      if (map) for (let i = 0; i < n; i++) perm[i] = map[perm[i]!]!;
      for (let s = from; s < steps; s++) yield perm.subarray(s * batch, Math.min(n, (s + 1) * batch));
    },
  };
}

/**
 * Batches of showers streamed from a file-backed `ShowerDataset` (memory bounded by its shuffle
 * buffer, whatever the file size), shuffled per epoch by the epoch's stream. The last, smaller
 * batch is dropped. Resuming at step `from` reads and skips the earlier batches of that epoch.
 * With `reuse` the batches share buffers (see `BatchOptions.reuse`): for a loss that uses each
 * batch within its step, as the engine runs it.
 */
export function datasetBatches(dataset: ShowerDataset, batchSize: number, options: { signal?: AbortSignal; reuse?: boolean } = {}): BatchSource<ShowerBatch> {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new InvalidArgumentError(`datasetBatches: batchSize must be a positive integer, got ${batchSize}`);
  const batch = Math.min(batchSize, dataset.n);
  const steps = Math.max(1, Math.floor(dataset.n / batch));
  return {
    steps,
    async *epoch(_epoch: number, from: number, rng: Rng): AsyncIterable<ShowerBatch> {
      let s = 0;
      for await (const b of dataset.batches(batch, { shuffle: true, rng, dropLast: true, signal: options.signal, reuse: options.reuse })) {
        if (s >= steps) break;
        if (s++ < from) {
          await yieldToLoop();
          continue;
        }
        yield b;
      }
    },
  };
}

/**
 * Even slices of a batch of `rows` rows with at most `maxRows` each, weighted by their share of
 * the rows: the parts of an `UpdateSpec.split` that accumulates a batch's gradient slice by slice.
 */
export function batchSlices(rows: number, maxRows: number): Array<{ start: number; end: number; weight: number }> {
  const k = Math.max(1, Math.ceil(rows / Math.max(1, Math.floor(maxRows))));
  const out: Array<{ start: number; end: number; weight: number }> = [];
  for (let i = 0; i < k; i++) {
    const start = Math.round((i * rows) / k);
    const end = Math.round(((i + 1) * rows) / k);
    out.push({ start, end, weight: (end - start) / rows });
  }
  return out;
}
