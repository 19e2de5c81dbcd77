/**
 * Thin layer over h5wasm's Node build (`h5wasm/node`, Emscripten NODERAWFS: the WASM HDF5
 * library reads and writes the host file system directly, page by page, so a file is never
 * copied into WASM memory).
 *
 * Why not h5wasm's `Dataset.slice`: it ignores the HDF5 status (a failed read returns
 * garbage), mallocs and copies twice per call. `readRows` reads a hyperslab through the
 * low-level binding into one reused WASM scratch buffer and checks the status. HDF5 errors are
 * turned into JS exceptions with h5wasm's throwing error handler, switched on only around our
 * own calls so other users of h5wasm in the process keep the default behaviour.
 *
 * Internal module: not exported from the package.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import h5wasm, { type File as H5File } from 'h5wasm/node';
import { ShowerFileError } from './errors.js';

/** The h5wasm module object (what `h5wasm.ready` resolves to). */
export type H5Module = Awaited<typeof h5wasm.ready>;

let modulePromise: Promise<H5Module> | undefined;

/** Loads h5wasm once per process. */
export function loadH5(): Promise<H5Module> {
  modulePromise ??= h5wasm.ready;
  return modulePromise;
}

/** Runs `fn` with HDF5 errors thrown as JS errors (and not printed to stderr). */
export function guarded<T>(m: H5Module, fn: () => T): T {
  m.activate_throwing_error_handler();
  try {
    return fn();
  } finally {
    m.deactivate_throwing_error_handler();
  }
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function readAt(fd: number, pos: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  const got = readSync(fd, b, 0, len, pos);
  return b.subarray(0, got);
}

function readAddr(v: DataView, at: number, size: number): number {
  if (at + size > v.byteLength) return NaN;
  if (size === 8) {
    const x = v.getBigUint64(at, true);
    return x === 0xffffffffffffffffn ? NaN : Number(x);
  }
  if (size === 4) {
    const x = v.getUint32(at, true);
    return x === 0xffffffff ? NaN : x;
  }
  return NaN;
}

/**
 * Checks, before HDF5 sees the file, that it exists, carries the HDF5 signature (at 0 or a
 * power-of-two offset ≥ 512, after a user block) and is not shorter than the end-of-file
 * address its superblock records (a truncated download or an interrupted copy).
 * HDF5 spec, "Disk Format: Level 0A – Format Signature and Superblock".
 */
function probeHdf5(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    throw new ShowerFileError(
      'not-found',
      `${path}: cannot open the file (${(cause as Error).message}). Check the path and permissions.`,
      { file: path, expected: 'a readable HDF5 file', found: 'no readable file' },
      { cause },
    );
  }
  try {
    const size = fstatSync(fd).size;
    let base = -1;
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      const sig = readAt(fd, off, 8);
      if (SIGNATURE.every((x, i) => sig[i] === x)) {
        base = off;
        break;
      }
    }
    if (base < 0) {
      const head = readAt(fd, 0, 8);
      throw new ShowerFileError(
        'not-hdf5',
        `${path}: not an HDF5 file (${size} bytes; no HDF5 signature at offset 0 or after a user block; ` +
          `first bytes ${Buffer.from(head).toString('hex') || '(none)'}). ` +
          'CaloChallenge files are HDF5 (.h5/.hdf5): check that the download completed and that this is the right file.',
        { file: path, expected: 'HDF5 signature 89484446 0d0a1a0a', found: `${size} bytes without it` },
      );
    }
    const sb = readAt(fd, base, 96);
    const v = new DataView(sb.buffer, sb.byteOffset, sb.byteLength);
    const version = sb[8];
    let baseAddr = NaN;
    let eof = NaN;
    if (version === 0 || version === 1) {
      const o = sb[13];
      const at = version === 0 ? 24 : 28;
      baseAddr = readAddr(v, at, o);
      eof = readAddr(v, at + 2 * o, o);
    } else if (version === 2 || version === 3) {
      const o = sb[9];
      baseAddr = readAddr(v, 12, o);
      eof = readAddr(v, 12 + 2 * o, o);
    }
    if (Number.isFinite(eof) && Number.isFinite(baseAddr) && baseAddr + eof > size) {
      throw new ShowerFileError(
        'truncated',
        `${path}: the HDF5 file is truncated: its superblock records ${baseAddr + eof} bytes, ` +
          `but the file has ${size}. Download or copy it again (an interrupted transfer or write leaves this).`,
        { file: path, expected: `${baseAddr + eof} bytes`, found: `${size} bytes` },
      );
    }
  } finally {
    closeSync(fd);
  }
}

/** Opens an HDF5 file read-only after `probeHdf5`; HDF5 failures become `ShowerFileError`. */
export function openH5(m: H5Module, path: string): H5File {
  probeHdf5(path);
  let file: H5File;
  try {
    file = guarded(m, () => new h5wasm.File(path, 'r'));
  } catch (cause) {
    throw unreadable(path, undefined, cause);
  }
  if (file.file_id < 0n) throw unreadable(path, undefined, new Error(`H5Fopen returned ${file.file_id}`));
  return file;
}

/** Wraps an HDF5 failure on `path` (and optionally one dataset) as a `ShowerFileError`. */
export function unreadable(path: string, dataset: string | undefined, cause: unknown): ShowerFileError {
  const first = String((cause as Error)?.message ?? cause)
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .slice(-2)
    .join(' / ');
  const where = dataset ? `dataset "${dataset}"` : 'the file';
  return new ShowerFileError(
    'unreadable',
    `${path}: HDF5 could not read ${where} (${first}). The file is probably corrupt or was written ` +
      'by an unfinished job: regenerate or download it again.',
    { file: path, dataset, expected: 'a readable HDF5 object', found: 'an HDF5 read error' },
    { cause },
  );
}

let scratchPtr = 0;
let scratchBytes = 0;

function scratch(m: H5Module, bytes: number): number {
  if (bytes > scratchBytes) {
    if (scratchPtr) m._free(scratchPtr);
    scratchPtr = 0;
    scratchBytes = 0;
    const ptr = m._malloc(bytes);
    if (!ptr) throw new RangeError(`h5wasm: could not allocate ${bytes} bytes of WASM memory`);
    scratchPtr = ptr;
    scratchBytes = bytes;
  }
  return scratchPtr;
}

/**
 * Reads rows [start, end) of a rank-1 or rank-2 float dataset (whole rows) into `out`,
 * converting float64 to float32. Only those rows are read from disk (an HDF5 hyperslab).
 */
export function readRows(
  m: H5Module,
  file: H5File,
  path: string,
  dataset: string,
  shape: readonly number[],
  bytesPerValue: 4 | 8,
  start: number,
  end: number,
  out: Float32Array,
): void {
  const cols = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const count = [BigInt(end - start), ...shape.slice(1).map(BigInt)];
  const offset = [BigInt(start), ...shape.slice(1).map(() => 0n)];
  const strides = shape.map(() => 1n);
  const nValues = (end - start) * cols;
  const ptr = scratch(m, Math.max(8, nValues * bytesPerValue));
  let status: number;
  try {
    status = guarded(m, () => m.get_dataset_data(file.file_id, dataset, count, offset, strides, BigInt(ptr)));
  } catch (cause) {
    throw unreadable(path, dataset, cause);
  }
  if (status < 0) throw unreadable(path, dataset, new Error(`H5Dread returned ${status}`));
  const heap = m.HEAPU8.buffer;
  if (bytesPerValue === 4) out.set(new Float32Array(heap, ptr, nValues));
  else out.set(new Float64Array(heap, ptr, nValues));
}
