/**
 * What every command receives: output flags, the abort signal wired to Ctrl-C, and helpers.
 */
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { Output } from './output.js';
import { UsageError } from './exit-codes.js';

/** Shared state of one CLI invocation. */
export interface CliContext {
  /** Aborted on the first SIGINT (Ctrl-C). */
  signal: AbortSignal;
  /** Builds the output object from the global flags of the program. */
  output(cmd: Command): Output;
  /** The arguments the CLI was run with (after `calozoo`), for provenance records. */
  argv?: readonly string[];
}

/** The command line of this run as a shell would take it back (`calozoo evaluate --reference 'a b.h5' …`). */
export function commandLine(ctx: CliContext): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['calozoo', ...(ctx.argv ?? [])].map(quote).join(' ');
}

/** Parses a positive integer flag value or throws a UsageError naming the flag. */
export function parsePositiveInt(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer, got "${v}"`);
    return n;
  };
}

/** Parses a non-negative integer flag value (a count where 0 means none) or throws a UsageError naming the flag. */
export function parseCount(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer, got "${v}"`);
    return n;
  };
}

/** Parses a non-negative integer flag value (seeds) or throws a UsageError. */
export function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--seed must be a non-negative integer, got "${v}"`);
  return n;
}

/** Parses a comma-separated list of positive numbers (e.g. energies in MeV). */
export function parseNumberList(flag: string): (v: string) => number[] {
  return (v: string) => {
    const xs = v.split(',').map((s) => Number(s.trim()));
    if (xs.length === 0 || xs.some((x) => !Number.isFinite(x) || x <= 0)) throw new UsageError(`${flag} must be a comma-separated list of positive numbers, got "${v}"`);
    return xs;
  };
}

/** Parses a duration like `90`, `30s`, `30m`, `2h` into seconds. */
export function parseDuration(flag: string): (v: string) => number {
  return (v: string) => {
    const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(v.trim());
    if (!m) throw new UsageError(`${flag} must be a duration such as 90s, 30m or 2h, got "${v}"`);
    const k = m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1;
    return Number(m[1]) * k;
  };
}

/** Showers per read when a command streams a file: about 20 M voxels (80 MB of float32). */
export function readChunkRows(voxels: number): number {
  return Math.max(1, Math.floor(2e7 / voxels));
}

/**
 * Checks an output file path when the command line is parsed, before any work: its directory
 * exists and is writable, and the path is not a directory.
 */
export function parseOutputFile(flag: string): (v: string) => string {
  return (v: string) => {
    const dir = path.dirname(path.resolve(v));
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st || !st.isDirectory()) throw new UsageError(`${flag} ${v}: the directory ${dir} does not exist; create it first (mkdir -p ${dir})`);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      throw new UsageError(`${flag} ${v}: the directory ${dir} is not writable`);
    }
    if (statSync(v, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${flag} ${v}: is a directory; give a file name such as ${path.join(v, 'showers.h5')}`);
    return v;
  };
}

/** Checks an output directory path when the command line is parsed: it may not exist yet, but it must not be a file. */
export function parseOutputDir(flag: string): (v: string) => string {
  return (v: string) => {
    const st = statSync(v, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new UsageError(`${flag} ${v}: is a file, but a directory is written there; give a directory name`);
    return v;
  };
}

/** A flag that may be given once: a second value is a usage error (commander would silently keep the last). */
export function once(flag: string, why: string): (v: string, previous: string | undefined) => string {
  return (v, previous) => {
    if (previous !== undefined) throw new UsageError(`${flag} was given twice (${previous}, ${v}); ${why}`);
    return v;
  };
}
