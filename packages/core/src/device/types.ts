/**
 * Types of the device layer: which runtime and backend run the networks, and what was tried
 * on the way there. See docs/architecture.md, "Device layer".
 */
import type { BackendFailure } from '../errors.js';

/** TensorFlow.js backends calozoo knows, in the names the device layer reports. */
export type TfBackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Priority order in which `selectTfBackend` tries the TensorFlow.js backends. */
export const TF_BACKEND_PRIORITY: readonly TfBackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** onnxruntime-node execution providers calozoo knows. */
export type OrtProviderName = 'cuda' | 'cpu';

/** Priority order in which `selectOrtProviders` tries the onnxruntime execution providers. */
export const ORT_PROVIDER_PRIORITY: readonly OrtProviderName[] = ['cuda', 'cpu'];

/** Minimal logger the device layer writes to (libraries never print themselves). */
export interface DeviceLogger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
}

/** What a device selection chose, and every candidate that failed before it. */
export interface DeviceReport {
  /** Which runtime the report is about. */
  runtime: 'tfjs' | 'onnxruntime';
  /** The backend or execution provider in use. */
  chosen: string;
  /** Candidates that were tried before `chosen` and failed, with the reason. */
  tried: BackendFailure[];
  /** Threads the chosen backend computes with, where known. */
  threads?: number;
}

/** Report of `selectTfBackend`. */
export interface TfDeviceReport extends DeviceReport {
  runtime: 'tfjs';
  chosen: TfBackendName;
  /** Name of the backend inside TensorFlow.js (`tf.getBackend()`); both native builds are 'tensorflow'. */
  tfBackend: string;
  /** Whether 3D convolutions (and their gradients) run natively and correctly on this backend. */
  conv3d: boolean;
  /** Version of TensorFlow.js (and of the TensorFlow C library for native backends). */
  versions: Record<string, string>;
  /** Native backends: where `threads` came from when the library loaded. */
  threadsFrom?: ThreadsSource;
}

/** Report of `selectOrtProviders`. */
export interface OrtDeviceReport extends DeviceReport {
  runtime: 'onnxruntime';
  chosen: OrtProviderName;
  /** The list to pass as `executionProviders` to `InferenceSession.create`. */
  executionProviders: OrtProviderName[];
}

/** Capabilities a caller needs from a TensorFlow.js backend. */
export type TfRequirement = 'conv3d';

/** Options of `selectTfBackend`. */
export interface SelectTfBackendOptions {
  /** Force one backend; throws `BackendUnavailableError` when it cannot start. */
  backend?: TfBackendName;
  /** Skip backends that lack these capabilities (for example wasm for 'conv3d'). */
  requires?: readonly TfRequirement[];
  /** Let the TensorFlow C library and TensorFlow.js print their own start-up logs and warnings (default: `CALOZOO_TF_VERBOSE=1`). */
  verbose?: boolean;
  /** Where the device layer reports what it tried and chose. */
  logger?: DeviceLogger;
  /**
   * Intra-op threads of the native TensorFlow backend (`TF_NUM_INTRAOP_THREADS`, read once when
   * the library loads; the `CALOZOO_TF_THREADS` environment variable sets the same). Default:
   * TensorFlow's, one per core. One thread trains small networks faster on a 2-core machine
   * (BENCHMARKS.md); ignored by the other backends.
   */
  threads?: number;
  /**
   * Intra-op threads when neither `threads` nor `CALOZOO_TF_THREADS` says (for example a model
   * plugin's measured `trainingThreads`); undefined: TensorFlow's default.
   */
  fallbackThreads?: number;
}

/** Where the native backend's intra-op thread count came from. */
export type ThreadsSource = 'option' | 'environment' | 'fallback' | 'default';

/** Options of `selectOrtProviders`. */
export interface SelectOrtProvidersOptions {
  /** Force one execution provider; throws `BackendUnavailableError` when it cannot start. */
  provider?: OrtProviderName;
  /** Where the device layer reports what it tried and chose. */
  logger?: DeviceLogger;
}
