/**
 * `OrtSession`: a small wrapper over onnxruntime-node's `InferenceSession` that picks execution
 * providers through the device layer (`selectOrtProviders`), sets the intra-op thread count,
 * and speaks plain typed arrays (tensors never leave the model code).
 */
import { availableParallelism } from 'node:os';
import { BackendUnavailableError, InvalidArgumentError, ModelFormatError } from '../errors.js';
import { selectOrtProviders } from '../device/select-ort.js';
import type { DeviceLogger, OrtDeviceReport, OrtProviderName } from '../device/types.js';

/** Typed arrays an `OrtSession` feeds and returns. */
export type OrtArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** One input or output tensor: flat row-major data and its dimensions. */
export interface OrtTensorData<T extends OrtArray = OrtArray> {
  data: T;
  dims: readonly number[];
}

/** Options of `createOrtSession`. */
export interface OrtSessionOptions {
  /** Force an execution provider ('cuda' | 'cpu'); default: best available. */
  provider?: OrtProviderName;
  /** Intra-op threads; default the number of cores (`os.availableParallelism()`). */
  threads?: number;
  /**
   * Whether idle intra-op threads spin-wait for work (onnxruntime's own default). Default here
   * false: spinning threads compete with the JavaScript thread that prepares the next batch. One
   * ad-hoc run of CaloMan's generator graph on 2 threads (not a recorded benchmark): 61 vs 73 µs per
   * shower at batch 10 000 and 95 vs 115 µs at batch 100 without spinning; 0.74 vs 0.58 ms at batch 1.
   */
  allowSpinning?: boolean;
  /** Where the device layer logs its choice. */
  logger?: DeviceLogger;
}

/** A loaded ONNX model ready to run. */
export interface OrtSession {
  /** Graph input names. */
  readonly inputNames: readonly string[];
  /** Graph output names. */
  readonly outputNames: readonly string[];
  /** What the device layer chose. */
  readonly device: OrtDeviceReport;
  /** Intra-op threads in use. */
  readonly threads: number;
  /** Runs the graph; returns every output (or those named in `outputs`) as float32/typed arrays. */
  run(feeds: Readonly<Record<string, OrtTensorData>>, outputs?: readonly string[]): Promise<Record<string, OrtTensorData>>;
  /** Releases the native session; later runs throw. */
  dispose(): Promise<void>;
}

type Ort = typeof import('onnxruntime-node');

const TYPE_OF = (a: OrtArray): 'float32' | 'float64' | 'int32' | 'int64' | 'bool' =>
  a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : a instanceof BigInt64Array ? 'int64' : 'bool';

/**
 * Loads an ONNX model (file path or bytes) into onnxruntime-node on the providers chosen by
 * `selectOrtProviders({ provider })`, with `threads` intra-op threads (default: all cores).
 * @throws BackendUnavailableError if the provider cannot start, ModelFormatError if the model does not load
 */
export async function createOrtSession(pathOrBytes: string | Uint8Array, options: OrtSessionOptions = {}): Promise<OrtSession> {
  const threads = options.threads ?? availableParallelism();
  if (!(Number.isInteger(threads) && threads >= 1)) throw new InvalidArgumentError(`createOrtSession: threads must be a positive integer, got ${threads}`);
  const device = await selectOrtProviders({ ...(options.provider ? { provider: options.provider } : {}), ...(options.logger ? { logger: options.logger } : {}) });
  const spec = 'onnxruntime-node';
  const ort = (await import(spec)) as Ort;
  const what = typeof pathOrBytes === 'string' ? pathOrBytes : `<${pathOrBytes.byteLength} bytes of ONNX>`;
  let session: import('onnxruntime-node').InferenceSession;
  try {
    const so = {
      executionProviders: device.executionProviders,
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential' as const,
      graphOptimizationLevel: 'all' as const,
      logSeverityLevel: 3 as const,
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    };
    session = typeof pathOrBytes === 'string' ? await ort.InferenceSession.create(pathOrBytes, so) : await ort.InferenceSession.create(pathOrBytes, so);
  } catch (cause) {
    const msg = (cause as Error).message ?? String(cause);
    if (/provider|cuda/i.test(msg) && device.chosen === 'cuda') {
      throw new BackendUnavailableError(`onnxruntime could not start the cuda provider for ${what}: ${msg}`, [{ name: 'cuda', reason: msg }], { cause });
    }
    throw new ModelFormatError(`${what}: onnxruntime cannot load this model (${msg}). Re-export it with \`calozoo export\`.`, { cause });
  }
  let open = true;
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    device,
    threads,
    async run(feeds, outputs) {
      if (!open) throw new InvalidArgumentError(`OrtSession(${what}): run() after dispose()`);
      const missing = session.inputNames.filter((n) => !(n in feeds));
      if (missing.length) throw new InvalidArgumentError(`OrtSession(${what}): missing input(s) ${missing.join(', ')}; the model takes ${session.inputNames.join(', ')}`);
      const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        const n = t.dims.reduce((p, d) => p * d, 1);
        if (n !== t.data.length) throw new InvalidArgumentError(`OrtSession(${what}): input "${name}" has ${t.data.length} values but dims [${t.dims.join(', ')}] need ${n}`);
        ortFeeds[name] = new ort.Tensor(TYPE_OF(t.data), t.data, t.dims);
      }
      const result = outputs ? await session.run(ortFeeds, outputs as string[]) : await session.run(ortFeeds);
      const out: Record<string, OrtTensorData> = {};
      for (const [name, t] of Object.entries(result)) {
        out[name] = { data: t.data as OrtArray, dims: [...t.dims] };
        t.dispose?.();
      }
      return out;
    },
    async dispose() {
      if (!open) return;
      open = false;
      await session.release();
    },
  };
}
