/**
 * Deterministic sharding of a generation run (`calozoo generate --shard k/N`, architecture.md
 * "Randomness"): shower indices [0, n) are cut into N contiguous, disjoint ranges covering all
 * of them, whose sizes differ by at most one. Shard k is 1-based, as in `--shard 1/4 … 4/4`
 * (the Jest/Playwright convention); Slurm's 0-based `$SLURM_ARRAY_TASK_ID` is k − 1.
 */
import { InvalidArgumentError } from '../errors.js';

/** A shard: 1-based index and count. */
export interface ShardSpec {
  /** 1-based shard index k (1 ≤ k ≤ count). */
  index: number;
  /** Number of shards N. */
  count: number;
}

/** Root attribute a shard file carries (`"k/N"`), checked and dropped by `mergeShowerFiles`. */
export const ATTR_SHARD = 'shard';

/** Parses "k/N" (1 ≤ k ≤ N); throws an InvalidArgumentError that shows the expected form. */
export function parseShard(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const spec = m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
  if (!spec || spec.count < 1 || spec.index < 1 || spec.index > spec.count) {
    throw new InvalidArgumentError(`shard "${text}" is not of the form k/N with 1 ≤ k ≤ N (e.g. --shard 3/8)`);
  }
  return spec;
}

/**
 * Half-open range [start, end) of shower indices of shard k (1-based) of N over n showers:
 * start = ⌊(k−1)·n/N⌋, end = ⌊k·n/N⌋. Ranges are disjoint, ordered, and cover [0, n).
 */
export function shardRange(n: number, k: number, N: number): [number, number] {
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new InvalidArgumentError(`shardRange: n must be a non-negative integer, got ${n}`);
  if (!(Number.isSafeInteger(N) && N >= 1)) throw new InvalidArgumentError(`shardRange: the shard count must be a positive integer, got ${N}`);
  if (!(Number.isSafeInteger(k) && k >= 1 && k <= N)) throw new InvalidArgumentError(`shardRange: shard ${k} is outside 1…${N} (shards are 1-based: --shard 1/${N} … ${N}/${N})`);
  const cut = (j: number): number => Number((BigInt(j) * BigInt(n)) / BigInt(N));
  return [cut(k - 1), cut(k)];
}
