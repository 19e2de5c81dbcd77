/**
 * Reading CaloChallenge HDF5 shower files (field-reference.md §1.1): `incident_energies`
 * (N, 1) and `showers` (N, voxels), float32 or float64, in MeV, plus the optional conditions
 * `theta`, `phi` ((N, 1) or (N)). `openShowerFile` checks the structure once; `readRange`
 * reads only the requested rows (an HDF5 hyperslab) and, unless told not to, checks their
 * values, so a 16 GB dataset-3 file is validated chunk by chunk and never held whole.
 */
import h5wasm, { type File as H5File, type Dataset as H5Dataset } from 'h5wasm/node';
import { InvalidArgumentError } from '../errors.js';
import type { Showers } from '../showers.js';
import { ShowerFileError, fmtShape, suggestGeometry } from './errors.js';
import { guarded, loadH5, openH5, readRows, unreadable, type H5Module } from './h5.js';
import { readAttributes, type AttributeValue } from './attributes.js';
import { checkRows } from './validate.js';

/** Anything with a geometry id and voxel count (a `Geometry` qualifies). */
export interface GeometryLike {
  readonly id: string;
  readonly voxels: number;
}

/** Floating types a shower file may store. */
export type ShowerDtype = 'float32' | 'float64';

/** Optional condition datasets besides `incident_energies`. */
export type OptionalCondition = 'theta' | 'phi';

/** Options of `openShowerFile`. */
export interface OpenShowerFileOptions {
  /** Geometry (or bare voxel count) the file must match; any width is accepted when absent. */
  geometry?: GeometryLike | number;
  /** Check values (finite voxels ≥ 0, finite and positive energies) in every `readRange`; default true. */
  validate?: boolean;
  /** Accept negative voxel energies (read as they are); default false: they are an error. */
  allowNegative?: boolean;
}

/** An open shower file; rows are read on demand. */
export interface ShowerFile {
  /** Path as given to `openShowerFile`. */
  readonly path: string;
  /** Number of showers. */
  readonly n: number;
  /** Voxels per shower. */
  readonly voxels: number;
  /** Storage type of `showers` (values are always returned as float32). */
  readonly dtype: ShowerDtype;
  /** Optional conditions the file carries. */
  readonly conditions: readonly OptionalCondition[];
  /** Rows per HDF5 chunk of `showers`, or null for a contiguous dataset. */
  readonly chunkRows: number | null;
  /** Root attributes (geometry, generator, seed, calozoo_version, …). */
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /**
   * Reads showers [start, end) (only those rows are read from disk). With `into`, fills its
   * arrays (which must hold at least end − start showers) and returns views of them, so that
   * a streaming reader can reuse its buffers.
   */
  readRange(start: number, end: number, into?: Showers): Showers;
  /** Every incident energy in MeV (the N values of `incident_energies` only, no voxels read). */
  readEnergies(): Float32Array;
  /** Closes the file; later reads throw. */
  close(): void;
}

interface DatasetInfo {
  name: string;
  shape: number[];
  bytes: 4 | 8;
}

const REQUIRED = ['incident_energies', 'showers'] as const;

function describe(m: H5Module, file: H5File, path: string, name: string): DatasetInfo | null {
  let entity: ReturnType<H5File['get']>;
  try {
    entity = guarded(m, () => (file.keys().includes(name) ? file.get(name) : null));
  } catch (cause) {
    throw unreadable(path, name, cause);
  }
  if (!entity) return null;
  if (!(entity instanceof h5wasm.Dataset)) {
    const kind = entity.constructor.name;
    throw new ShowerFileError(
      'missing-dataset',
      `${path}: "${name}" is a ${kind}, not a dataset. Write "${name}" as an HDF5 dataset at the file's root.`,
      { file: path, dataset: name, expected: 'a dataset', found: kind },
    );
  }
  const meta = guarded(m, () => (entity as H5Dataset).metadata);
  const shape = meta.shape ?? [];
  if (meta.type !== 1 || (meta.size !== 4 && meta.size !== 8)) {
    const kind = meta.type === 0 ? `${meta.signed ? 'int' : 'uint'}${meta.size * 8}` : `HDF5 type class ${meta.type}, ${meta.size} bytes`;
    throw new ShowerFileError(
      'wrong-dtype',
      `${path}: dataset "${name}" has dtype ${kind}, but calozoo reads float32 or float64 (MeV). ` +
        `Convert it, e.g. in h5py: f["${name}"][...].astype("float32").`,
      { file: path, dataset: name, expected: 'float32 or float64', found: kind },
    );
  }
  return { name, shape, bytes: meta.size as 4 | 8 };
}

function requireRank(path: string, d: DatasetInfo, vector: boolean): void {
  const ok = vector ? d.shape.length === 1 || (d.shape.length === 2 && d.shape[1] === 1) : d.shape.length === 2;
  if (ok) return;
  const expected = vector ? '[N, 1] or [N]' : '[N, voxels]';
  throw new ShowerFileError(
    'wrong-rank',
    `${path}: dataset "${d.name}" has shape ${fmtShape(d.shape)}, but calozoo expects ${expected}. ` +
      (vector ? 'Store one value per shower.' : 'Flatten each shower to one row, e.g. in h5py: x.reshape(len(x), -1).'),
    { file: path, dataset: d.name, expected, found: fmtShape(d.shape) },
  );
}

/**
 * Opens a CaloChallenge shower file and checks its structure (datasets, ranks, dtypes, N,
 * voxel count against `options.geometry`).
 * @throws ShowerFileError naming file, dataset, expected and found shape and what to do
 */
export async function openShowerFile(path: string, options: OpenShowerFileOptions = {}): Promise<ShowerFile> {
  const m = await loadH5();
  const file = openH5(m, path);
  try {
    return new H5ShowerFile(m, file, path, options);
  } catch (e) {
    guarded(m, () => file.close());
    throw e;
  }
}

class H5ShowerFile implements ShowerFile {
  readonly n: number;
  readonly voxels: number;
  readonly dtype: ShowerDtype;
  readonly conditions: readonly OptionalCondition[];
  readonly chunkRows: number | null;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  private readonly datasets: { energy: DatasetInfo; showers: DatasetInfo; theta?: DatasetInfo; phi?: DatasetInfo };
  private readonly validate: boolean;
  private readonly allowNegative: boolean;
  private open = true;

  constructor(
    private readonly m: H5Module,
    private readonly file: H5File,
    readonly path: string,
    options: OpenShowerFileOptions,
  ) {
    const present = guarded(m, () => file.keys());
    const [energy, showers] = REQUIRED.map((name) => {
      const d = describe(m, file, path, name);
      if (d) return d;
      throw new ShowerFileError(
        'missing-dataset',
        `${path}: dataset "${name}" is missing; the file holds ${present.length ? present.map((k) => `"${k}"`).join(', ') : 'no datasets'}. ` +
          'A CaloChallenge file needs "incident_energies" [N, 1] and "showers" [N, voxels] (MeV): check that this is a shower file, or rename its datasets.',
        { file: path, dataset: name, expected: 'datasets "incident_energies" and "showers"', found: present.join(', ') || '(none)' },
      );
    });
    requireRank(path, energy, true);
    requireRank(path, showers, false);
    const n = showers.shape[0];
    const voxels = showers.shape[1];
    this.datasets = { energy, showers };
    const conditions: OptionalCondition[] = [];
    for (const name of ['theta', 'phi'] as const) {
      const d = describe(m, file, path, name);
      if (!d) continue;
      requireRank(path, d, true);
      this.datasets[name] = d;
      conditions.push(name);
    }
    for (const d of [energy, ...conditions.map((c) => this.datasets[c] as DatasetInfo)]) {
      if (d.shape[0] !== n) {
        throw new ShowerFileError(
          'n-mismatch',
          `${path}: dataset "${d.name}" has ${d.shape[0]} rows (shape ${fmtShape(d.shape)}) but "showers" has ${n} ` +
            `(shape ${fmtShape(showers.shape)}). Every dataset needs one row per shower: the file was probably cut or written by an unfinished job; regenerate it.`,
          { file: path, dataset: d.name, expected: `${n} rows`, found: `${d.shape[0]} rows` },
        );
      }
    }
    if (n === 0) {
      throw new ShowerFileError(
        'empty',
        `${path}: dataset "showers" has shape ${fmtShape(showers.shape)}: the file holds no showers. Generate or download it again.`,
        { file: path, dataset: 'showers', expected: '[N, voxels] with N > 0', found: fmtShape(showers.shape) },
      );
    }
    const g = options.geometry;
    if (g !== undefined) {
      const want = typeof g === 'number' ? g : g.voxels;
      if (want !== voxels) {
        const name = typeof g === 'number' ? `a ${want}-voxel geometry` : `geometry "${g.id}"`;
        throw new ShowerFileError(
          'wrong-voxel-count',
          `${path}: dataset "showers" has shape ${fmtShape(showers.shape)}, but ${name} expects [N, ${want}]. ${suggestGeometry(voxels)}`,
          { file: path, dataset: 'showers', expected: `[N, ${want}]`, found: fmtShape(showers.shape) },
        );
      }
    }
    this.n = n;
    this.voxels = voxels;
    this.dtype = showers.bytes === 4 ? 'float32' : 'float64';
    this.conditions = conditions;
    const chunks = guarded(m, () => (file.get('showers') as H5Dataset).metadata.chunks);
    this.chunkRows = chunks && chunks.length > 0 ? chunks[0] : null;
    this.attributes = readAttributes(m, file, path);
    this.validate = options.validate ?? true;
    this.allowNegative = options.allowNegative ?? false;
  }

  readRange(start: number, end: number, into?: Showers): Showers {
    if (!this.open) throw new InvalidArgumentError(`${this.path}: readRange called after close()`);
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= this.n)) {
      throw new InvalidArgumentError(`${this.path}: readRange(${start}, ${end}) is outside [0, ${this.n}]; pass integers 0 ≤ start ≤ end ≤ n.`);
    }
    const rows = end - start;
    const V = this.voxels;
    if (into && (into.voxels !== V || into.energy.length < rows || into.values.length < rows * V || this.conditions.some((c) => (into[c]?.length ?? -1) < rows))) {
      throw new InvalidArgumentError(`${this.path}: readRange into a buffer too small for ${rows} showers of ${V} voxels with [${this.conditions.join(', ')}]`);
    }
    const out: Showers = into
      ? { n: rows, voxels: V, energy: into.energy.subarray(0, rows), values: into.values.subarray(0, rows * V) }
      : { n: rows, voxels: V, energy: new Float32Array(rows), values: new Float32Array(rows * V) };
    if (rows === 0) return out;
    const read = (d: DatasetInfo, into: Float32Array): void =>
      readRows(this.m, this.file, this.path, d.name, d.shape, d.bytes, start, end, into);
    read(this.datasets.energy, out.energy);
    read(this.datasets.showers, out.values);
    for (const c of this.conditions) {
      const arr = into ? (into[c] as Float32Array).subarray(0, rows) : new Float32Array(rows);
      read(this.datasets[c] as DatasetInfo, arr);
      out[c] = arr;
    }
    if (this.validate) checkRows(this.path, out, start, { allowNegative: this.allowNegative });
    return out;
  }

  readEnergies(): Float32Array {
    const out = new Float32Array(this.n);
    const d = this.datasets.energy;
    if (this.n > 0) readRows(this.m, this.file, this.path, d.name, d.shape, d.bytes, 0, this.n, out);
    return out;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    guarded(this.m, () => this.file.close());
  }
}
