/**
 * The plain safetensors layout (an 8-byte little-endian header length, a JSON header, then raw
 * little-endian data), used for weights and buffers: simple to write, readable from Python.
 */
import { closeSync, openSync, promises as fs, readSync, statSync } from 'node:fs';
import { collectGarbage } from '../device/gc.js';
import { ModelFormatError, InvalidArgumentError } from '../errors.js';
import * as path from 'node:path';
import { temporarySibling } from './atomic.js';

/** Element types calozoo stores. */
export type SafetensorsDtype = 'F32' | 'F64' | 'I32';

/** One named tensor as plain data. */
export interface NamedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array;
}

/** A tensor whose values are read only when it is written (so a checkpoint holds one tensor's copy at a time). */
export interface DeferredTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Reads the values (called once, when the tensor's bytes are written). */
  read(): Float32Array | Float64Array | Int32Array;
}

/** What `writeSafetensors` takes: values at hand, or read when written. */
export type TensorToWrite = NamedTensor | DeferredTensor;

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F64: 8, I32: 4 };

function checkTensor(name: string, t: NamedTensor): void {
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) {
    throw new InvalidArgumentError(`safetensors: tensor "${name}" has shape [${t.shape}] (${count} elements) but ${t.data.length} values`);
  }
  const ok =
    (t.dtype === 'F32' && t.data instanceof Float32Array) ||
    (t.dtype === 'F64' && t.data instanceof Float64Array) ||
    (t.dtype === 'I32' && t.data instanceof Int32Array);
  if (!ok) throw new InvalidArgumentError(`safetensors: tensor "${name}" is declared ${t.dtype} but holds ${t.data.constructor.name}`);
}

/** The header bytes (length prefix included), tensor order and data size of a safetensors file. */
function layout(tensors: Record<string, TensorToWrite>, metadata: Record<string, string>): { head: Uint8Array; names: string[]; dataBytes: number } {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    if ('data' in t) checkTensor(name, t);
    const bytes = t.shape.reduce((a, b) => a * b, 1) * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // pad the header with spaces so the data starts 8-byte aligned
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = Buffer.from(json, 'utf8');
  const head = new Uint8Array(8 + headerBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  head.set(headerBytes, 8);
  return { head, names, dataBytes: offset };
}

const bytesOf = (t: NamedTensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** Serialises tensors (and optional string metadata) to safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const { head, names, dataBytes } = layout(tensors, metadata);
  const out = new Uint8Array(head.length + dataBytes);
  out.set(head, 0);
  let pos = head.length;
  for (const name of names) {
    const src = bytesOf(tensors[name]!);
    out.set(src, pos);
    pos += src.length;
  }
  return out;
}

/** The values of a tensor at hand or deferred (a deferred tensor is read now). */
export function tensorValues(t: TensorToWrite): Float32Array | Float64Array | Int32Array {
  return 'data' in t ? t.data : t.read();
}

/**
 * The values of a tensor at hand or deferred as float32, copied only when stored in another type
 * (restoring 82 MB of weights made two copies of each tensor before TensorFlow got one).
 */
export function float32Values(t: TensorToWrite): Float32Array {
  const v = tensorValues(t);
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

/** Parses and checks a header: tensor name → dtype, shape and data offsets (from the data start). */
function parseHeader(headerJson: string, fileBytes: number, dataStart: number, source: string): { entries: Array<[string, SafetensorsDtype, number[], number, number]>; metadata: Record<string, string> } {
  let header: Record<string, any>;
  try {
    header = JSON.parse(headerJson);
  } catch (err) {
    throw new ModelFormatError(`${source}: safetensors header is not valid JSON.`, { cause: err });
  }
  const entries: Array<[string, SafetensorsDtype, number[], number, number]> = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dtype = info.dtype as SafetensorsDtype;
    if (!(dtype in BYTES)) throw new ModelFormatError(`${source}: tensor "${name}" has unsupported dtype ${dtype} (expected F32, F64 or I32).`);
    const [a, b] = info.data_offsets as [number, number];
    if (dataStart + b > fileBytes) throw new ModelFormatError(`${source}: tensor "${name}" runs past the end of the file (truncated?).`);
    const count = (info.shape as number[]).reduce((x, y) => x * y, 1);
    if (count * BYTES[dtype] !== b - a) throw new ModelFormatError(`${source}: tensor "${name}" has shape [${info.shape}] (${count} elements) but ${b - a} bytes of ${dtype}.`);
    entries.push([name, dtype, info.shape, a, b]);
  }
  return { entries, metadata: header.__metadata__ ?? {} };
}

const typedArray = (dtype: SafetensorsDtype, buf: ArrayBuffer): Float32Array | Float64Array | Int32Array =>
  dtype === 'F32' ? new Float32Array(buf) : dtype === 'F64' ? new Float64Array(buf) : new Int32Array(buf);

/**
 * Opens a safetensors file without reading its data: each tensor is read from the file when its
 * `read()` is called (one tensor's copy in memory at a time: resuming or copying a checkpoint of a
 * large model stays cheap). The file must not change while the tensors are in use.
 */
export function openSafetensors(file: string): { tensors: Record<string, DeferredTensor>; metadata: Record<string, string> } {
  let size: number;
  let head: Buffer;
  try {
    size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const lenBytes = Buffer.alloc(8);
      if (size < 8 || readSync(fd, lenBytes, 0, 8, 0) !== 8) throw new ModelFormatError(`${file}: too short to be a safetensors file (${size} bytes).`);
      const headerLen = Number(lenBytes.readBigUInt64LE(0));
      if (headerLen <= 0 || 8 + headerLen > size) throw new ModelFormatError(`${file}: corrupt safetensors header length ${headerLen} for a ${size}-byte file (truncated?).`);
      head = Buffer.alloc(headerLen);
      readSync(fd, head, 0, headerLen, 8);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof ModelFormatError) throw err;
    throw new ModelFormatError(`${file}: cannot read weights (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, { cause: err });
  }
  const dataStart = 8 + head.length;
  const { entries, metadata } = parseHeader(head.toString('utf8'), size, dataStart, file);
  const tensors: Record<string, DeferredTensor> = {};
  for (const [name, dtype, shape, a, b] of entries) {
    tensors[name] = {
      dtype,
      shape,
      read: () => {
        const bytes = new Uint8Array(b - a);
        const fd = openSync(file, 'r');
        try {
          if (readSync(fd, bytes, 0, b - a, dataStart + a) !== b - a) throw new ModelFormatError(`${file}: tensor "${name}" was cut short while reading (the file changed?).`);
        } finally {
          closeSync(fd);
        }
        return typedArray(dtype, bytes.buffer);
      },
    };
  }
  return { tensors, metadata };
}

/** Parses safetensors bytes; `source` names the file in error messages. */
export function decodeSafetensors(bytes: Uint8Array, source = '<buffer>'): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new ModelFormatError(`${source}: too short to be a safetensors file (${bytes.length} bytes).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > bytes.length) {
    throw new ModelFormatError(`${source}: corrupt safetensors header length ${headerLen} for a ${bytes.length}-byte file (truncated?).`);
  }
  const dataStart = 8 + headerLen;
  const { entries, metadata } = parseHeader(Buffer.from(bytes.subarray(8, 8 + headerLen)).toString('utf8'), bytes.length, dataStart, source);
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, dtype, shape, a, b] of entries) {
    // A copy: Buffer.slice would share the pool. (parseHeader checked the byte count against the shape.)
    tensors[name] = { dtype, shape, data: typedArray(dtype, new Uint8Array(bytes.subarray(dataStart + a, dataStart + b)).buffer) };
  }
  return { tensors, metadata };
}

/**
 * Writes tensors to a safetensors file atomically, tensor by tensor (no second copy of the
 * weights in memory; deferred tensors are read one at a time: a checkpoint of a large model
 * stays cheap).
 */
export async function writeSafetensors(file: string, tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {}): Promise<void> {
  const { head, names } = layout(tensors, metadata);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = temporarySibling(file);
  try {
    const h = await fs.open(tmp, 'w');
    try {
      await h.write(head);
      // Deferred tensors are read into fresh arrays that are dead once written: collect them every
      // 32 MiB and at the end, or a checkpoint of a large model leaves ~100 MB of them resident
      // until V8 gets to it (this is the one place checkpoints and saves read weights).
      let readBytes = 0;
      for (const name of names) {
        const t = tensors[name]!;
        const values: NamedTensor = 'data' in t ? t : { dtype: t.dtype, shape: t.shape, data: t.read() };
        checkTensor(name, values);
        await h.write(bytesOf(values));
        if (!('data' in t) && (readBytes += values.data.byteLength) >= 32 * 2 ** 20) {
          readBytes = 0;
          collectGarbage();
        }
      }
      if (readBytes > 0) collectGarbage();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Reads a safetensors file; errors name the file. */
export async function readSafetensors(file: string): Promise<{ tensors: Record<string, NamedTensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new ModelFormatError(`${file}: cannot read weights (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, { cause: err });
  }
  return decodeSafetensors(bytes, file);
}
