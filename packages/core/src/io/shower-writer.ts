/**
 * Writing CaloChallenge HDF5 shower files, in one call or streamed.
 *
 * Datasets are chunked along showers (`chunkRows` rows per chunk), gzip-compressed and
 * resizable, so `append` can be called any number of times without ever holding the whole
 * file: the writer buffers at most one partial chunk and writes whole chunks only (a partial
 * chunk would be compressed, re-read and re-compressed on the next append).
 *
 * The file is written to a temporary sibling `<name>.tmp-<pid>-<hex>` and renamed into place
 * by `close()`; `abort()` (and any failed append) deletes it, so an interrupted job never
 * leaves a file under the final name.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import h5wasm, { type File as H5File, type Dataset as H5Dataset } from 'h5wasm/node';
import { InvalidArgumentError } from '../errors.js';
import { getGeometry } from '../geometry/index.js';
import type { Showers } from '../showers.js';
import {
  ATTR_CALOZOO_VERSION,
  ATTR_GENERATOR,
  ATTR_GEOMETRY,
  ATTR_SEED,
  calozooVersion,
  writeAttribute,
  type AttributeInput,
} from './attributes.js';
import { ShowerFileError } from './errors.js';
import { guarded, loadH5, type H5Module } from './h5.js';
import type { GeometryLike, OptionalCondition, ShowerDtype } from './shower-file.js';

/** Writer options with the geometry resolved. */
type ResolvedWriterOptions = ShowerWriterOptions & { geometry?: GeometryLike };

/** Options of `createShowerWriter` and `writeShowerFile`. */
export interface ShowerWriterOptions {
  /** Voxels per shower; required unless `geometry` is given. */
  voxels?: number;
  /** Geometry of the showers, or its id or alias (e.g. `ds1-photons`): fixes `voxels` and is stored as the `geometry` attribute. */
  geometry?: GeometryLike | string;
  /** Number of showers that will be appended; `close()` fails if a different number came. */
  n?: number;
  /** Optional conditions to store; by default those present in the first `append`. */
  conditions?: readonly OptionalCondition[];
  /** Storage type; default float32 (values are always passed as float32). */
  dtype?: ShowerDtype;
  /** gzip level 0–9 (0 = uncompressed); default 4. */
  compression?: number;
  /** Showers per HDF5 chunk; default about 1 MiB of voxels per chunk. */
  chunkRows?: number;
  /** Generator name, stored as the `generator` attribute. */
  generator?: string;
  /** Generator seed, stored as the `seed` attribute. */
  seed?: number;
  /** Further root attributes. */
  attributes?: Readonly<Record<string, AttributeInput>>;
}

/** A streaming writer of one shower file. */
export interface ShowerWriter {
  /** Final path of the file. */
  readonly path: string;
  /** Showers appended so far. */
  readonly written: number;
  /** Appends showers (copied; the caller may reuse its arrays). */
  append(showers: Showers): void;
  /** Writes what is buffered, closes the file and renames it into place. */
  close(): Promise<void>;
  /** Stops and deletes the temporary file; safe to call more than once. */
  abort(): Promise<void>;
}

const TARGET_CHUNK_BYTES = 1 << 20;
const MAX_WRITE_BYTES = 64 << 20;
const ENERGY_CHUNK_ROWS = 16384;

/** Default rows per chunk for a given width: about 1 MiB of float32 voxels, at least 1. */
export function defaultChunkRows(voxels: number): number {
  return Math.max(1, Math.floor(TARGET_CHUNK_BYTES / (4 * voxels)));
}

function positiveInt(name: string, x: number | undefined, path: string): void {
  if (x !== undefined && !(Number.isSafeInteger(x) && x > 0)) {
    throw new InvalidArgumentError(`createShowerWriter(${path}): ${name} must be a positive integer, got ${x}`);
  }
}

/**
 * Creates a streaming writer; nothing appears under `path` until `close()` succeeds.
 * @throws InvalidArgumentError for bad options, ShowerFileError if the file cannot be created
 */
export async function createShowerWriter(path: string, given: ShowerWriterOptions): Promise<ShowerWriter> {
  const options: ResolvedWriterOptions = { ...given, geometry: typeof given.geometry === 'string' ? getGeometry(given.geometry) : given.geometry };
  const voxels = options.voxels ?? options.geometry?.voxels;
  positiveInt('voxels', voxels, path);
  if (voxels === undefined) throw new InvalidArgumentError(`createShowerWriter(${path}): pass voxels or geometry`);
  if (options.geometry && options.voxels !== undefined && options.geometry.voxels !== options.voxels) {
    throw new InvalidArgumentError(
      `createShowerWriter(${path}): voxels ${options.voxels} contradicts geometry "${options.geometry.id}" (${options.geometry.voxels} voxels)`,
    );
  }
  positiveInt('n', options.n, path);
  positiveInt('chunkRows', options.chunkRows, path);
  const level = options.compression ?? 4;
  if (!(Number.isInteger(level) && level >= 0 && level <= 9)) {
    throw new InvalidArgumentError(`createShowerWriter(${path}): compression must be a gzip level 0–9, got ${level}`);
  }
  const m = await loadH5();
  return new H5ShowerWriter(m, path, voxels, level, options);
}

/**
 * Writes `showers` to a CaloChallenge HDF5 file in one call (temporary file, then rename).
 * @throws ShowerFileError if the write fails; no file is left under `path`
 */
export async function writeShowerFile(path: string, showers: Showers, options: Omit<ShowerWriterOptions, 'n'> = {}): Promise<void> {
  const conditions = options.conditions ?? (['theta', 'phi'] as const).filter((c) => showers[c]);
  const w = await createShowerWriter(path, { voxels: showers.voxels, ...options, conditions, n: showers.n });
  try {
    w.append(showers);
  } catch (e) {
    await w.abort();
    throw e;
  }
  await w.close();
}

type Columns = { energy: Float32Array; values: Float32Array; theta?: Float32Array; phi?: Float32Array };

class H5ShowerWriter implements ShowerWriter {
  /** Showers already written to HDF5 (the rest, < chunkRows, wait in `buf`). */
  private flushed = 0;
  private readonly tmp: string;

  get written(): number {
    return this.flushed + this.buffered;
  }

  private readonly chunkRows: number;
  private readonly dtype: string;
  private file: H5File | null;
  private conditions: readonly OptionalCondition[] | undefined;
  private buf: Columns;
  private buffered = 0;
  private state: 'open' | 'closed' | 'aborted' = 'open';

  constructor(
    private readonly m: H5Module,
    readonly path: string,
    private readonly voxels: number,
    private readonly level: number,
    private readonly options: ResolvedWriterOptions,
  ) {
    this.tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.chunkRows = options.chunkRows ?? defaultChunkRows(voxels);
    this.dtype = options.dtype === 'float64' ? '<d' : '<f';
    this.conditions = options.conditions;
    this.buf = { energy: new Float32Array(this.chunkRows), values: new Float32Array(this.chunkRows * voxels) };
    try {
      this.file = guarded(m, () => new h5wasm.File(this.tmp, 'w'));
      if (this.file.file_id < 0n) throw new Error(`H5Fcreate returned ${this.file.file_id}`);
      guarded(m, () => this.writeAttributes());
    } catch (cause) {
      this.file = null;
      rmSync(this.tmp, { force: true });
      throw this.failure(cause, 'the file');
    }
  }

  private writeAttributes(): void {
    const f = this.file as H5File;
    const o = this.options;
    writeAttribute(f, ATTR_CALOZOO_VERSION, calozooVersion());
    if (o.geometry) writeAttribute(f, ATTR_GEOMETRY, o.geometry.id);
    if (o.generator !== undefined) writeAttribute(f, ATTR_GENERATOR, o.generator);
    if (o.seed !== undefined) writeAttribute(f, ATTR_SEED, o.seed);
    for (const [k, v] of Object.entries(o.attributes ?? {})) writeAttribute(f, k, v);
  }

  private failure(cause: unknown, what: string): ShowerFileError {
    const msg = String((cause as Error)?.message ?? cause).split('\n').filter(Boolean).slice(-1)[0] ?? '';
    return new ShowerFileError(
      'write-failed',
      `${this.path}: could not write ${what} (${msg}). Nothing was written under this name; check free disk space and permissions, then run again.`,
      { file: this.path, expected: 'a writable directory', found: 'an HDF5 write error' },
      { cause },
    );
  }

  private createDatasets(): void {
    const f = this.file as H5File;
    const gzip = this.level > 0 ? { compression: 'gzip' as const, compression_opts: this.level } : {};
    const make = (name: string, cols: number | null, chunk: number): void => {
      const shape = cols === null ? [0] : [0, cols];
      f.create_dataset({
        name,
        data: this.dtype === '<d' ? new Float64Array(0) : new Float32Array(0),
        shape,
        maxshape: cols === null ? [null] : [null, cols],
        chunks: cols === null ? [chunk] : [chunk, cols],
        dtype: this.dtype,
        ...gzip,
      });
    };
    make('incident_energies', 1, ENERGY_CHUNK_ROWS);
    make('showers', this.voxels, this.chunkRows);
    for (const c of this.conditions ?? []) {
      make(c, 1, ENERGY_CHUNK_ROWS);
      this.buf[c] = new Float32Array(this.chunkRows);
    }
  }

  append(s: Showers): void {
    if (this.state !== 'open') throw new InvalidArgumentError(`${this.path}: append after ${this.state === 'closed' ? 'close()' : 'abort()'}`);
    const where = `${this.path}: append`;
    if (s.voxels !== this.voxels) throw new InvalidArgumentError(`${where}: showers have ${s.voxels} voxels, the file ${this.voxels}`);
    if (s.energy.length !== s.n || s.values.length !== s.n * s.voxels) {
      throw new InvalidArgumentError(`${where}: energy has ${s.energy.length} and values ${s.values.length} entries for n = ${s.n} showers of ${s.voxels} voxels`);
    }
    if (this.conditions === undefined) this.conditions = (['theta', 'phi'] as const).filter((c) => s[c]);
    for (const c of ['theta', 'phi'] as const) {
      const want = this.conditions.includes(c);
      if (want !== Boolean(s[c])) throw new InvalidArgumentError(`${where}: "${c}" is ${want ? 'missing' : 'present'}, but the file ${want ? 'stores' : 'does not store'} it`);
      if (want && s[c]?.length !== s.n) throw new InvalidArgumentError(`${where}: "${c}" has ${s[c]?.length} entries for n = ${s.n}`);
    }
    const total = this.flushed + this.buffered + s.n;
    if (this.options.n !== undefined && total > this.options.n) {
      throw new InvalidArgumentError(`${where}: ${total} showers exceed the declared n = ${this.options.n}`);
    }
    try {
      guarded(this.m, () => this.appendRows(s));
    } catch (cause) {
      this.discard();
      throw this.failure(cause, 'the showers');
    }
  }

  private appendRows(s: Showers): void {
    if (this.flushed === 0 && this.buffered === 0 && !(this.file as H5File).keys().includes('showers')) this.createDatasets();
    const V = this.voxels;
    const cols = (a: number, b: number): Columns => {
      const c: Columns = { energy: s.energy.subarray(a, b), values: s.values.subarray(a * V, b * V) };
      for (const k of this.conditions ?? []) c[k] = (s[k] as Float32Array).subarray(a, b);
      return c;
    };
    let i = 0;
    if (this.buffered > 0) {
      const take = Math.min(this.chunkRows - this.buffered, s.n);
      this.copyToBuffer(cols(0, take));
      i = take;
      if (this.buffered === this.chunkRows) this.flushBuffer();
    }
    const step = Math.max(1, Math.floor(MAX_WRITE_BYTES / (4 * V * this.chunkRows))) * this.chunkRows;
    while (s.n - i >= this.chunkRows) {
      const whole = Math.min(step, Math.floor((s.n - i) / this.chunkRows) * this.chunkRows);
      this.writeRows(cols(i, i + whole), whole);
      i += whole;
    }
    if (i < s.n) this.copyToBuffer(cols(i, s.n));
  }

  private copyToBuffer(c: Columns): void {
    const r = c.energy.length;
    this.buf.energy.set(c.energy, this.buffered);
    this.buf.values.set(c.values, this.buffered * this.voxels);
    for (const k of this.conditions ?? []) (this.buf[k] as Float32Array).set(c[k] as Float32Array, this.buffered);
    this.buffered += r;
  }

  private flushBuffer(): void {
    if (this.buffered === 0) return;
    const r = this.buffered;
    const c: Columns = { energy: this.buf.energy.subarray(0, r), values: this.buf.values.subarray(0, r * this.voxels) };
    for (const k of this.conditions ?? []) c[k] = (this.buf[k] as Float32Array).subarray(0, r);
    this.writeRows(c, r);
    this.buffered = 0;
  }

  private writeRows(c: Columns, rows: number): void {
    const f = this.file as H5File;
    const a = this.flushed;
    const b = a + rows;
    const put = (name: string, data: Float32Array, width: number | null): void => {
      const d = f.get(name) as H5Dataset;
      d.resize(width === null ? [b] : [b, width]);
      d.write_slice([[a, b]], this.dtype === '<d' ? Float64Array.from(data) : data);
    };
    put('incident_energies', c.energy, 1);
    put('showers', c.values, this.voxels);
    for (const k of this.conditions ?? []) put(k, c[k] as Float32Array, 1);
    this.flushed = b;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'aborted') throw new InvalidArgumentError(`${this.path}: close() after abort()`);
    const n = this.flushed + this.buffered;
    if (n === 0 || (this.options.n !== undefined && n !== this.options.n)) {
      this.discard();
      throw new InvalidArgumentError(
        `${this.path}: close() after ${n} showers, but ${n === 0 ? 'a shower file needs at least one' : `n = ${this.options.n} were declared`}; nothing was written.`,
      );
    }
    try {
      guarded(this.m, () => {
        this.flushBuffer();
        (this.file as H5File).close();
      });
      this.file = null;
      renameSync(this.tmp, this.path);
    } catch (cause) {
      this.discard();
      throw this.failure(cause, 'the file');
    }
    this.state = 'closed';
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.discard();
  }

  private discard(): void {
    this.state = 'aborted';
    if (this.file) {
      try {
        guarded(this.m, () => (this.file as H5File).close());
      } catch {
        // the temporary file is deleted below whatever state HDF5 left it in
      }
      this.file = null;
    }
    rmSync(this.tmp, { force: true });
  }
}
