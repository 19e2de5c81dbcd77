/**
 * Picks the TensorFlow.js backend: the GPU build of tfjs-node, then tfjs-node (native
 * TensorFlow, the training backend), then wasm, then cpu. Follows onnxruntime's
 * `backend-impl.ts`: try each candidate, record why it failed, report what was chosen.
 */
import { BackendUnavailableError, InvalidArgumentError, type BackendFailure } from '../errors.js';
import { backendSupports3dConv } from './capabilities.js';
import { applyNativeTfEnv, applyNativeThreads, requestedNativeThreads } from './native-tuning.js';
import { installTfPatches } from './patches.js';
import { setTfVerbose } from './quiet.js';
import { withStartupLinesHidden } from './stdio-guard.js';
import { tf } from './tf.js';
import {
  TF_BACKEND_PRIORITY,
  type SelectTfBackendOptions,
  type TfBackendName,
  type ThreadsSource,
  type TfDeviceReport,
} from './types.js';

interface Started {
  tfBackend: string;
  threads?: number;
  threadsFrom?: ThreadsSource;
  versions: Record<string, string>;
}

/** The intra-op thread count asked for, and which setting asked. */
export interface ThreadsRequest {
  threads: number | undefined;
  from: ThreadsSource;
}

/** A candidate that cannot start, with the reason to record. */
class CandidateFailure extends Error {}

const HINTS: Record<TfBackendName, string> = {
  'tensorflow-gpu': 'Install @tensorflow/tfjs-node-gpu with CUDA and cuDNN, or pick another backend',
  tensorflow: 'Run `npm run setup:native` to build the native TensorFlow backend, or pick --backend wasm or cpu',
  wasm: 'Reinstall @tensorflow/tfjs-backend-wasm, or pick --backend cpu',
  cpu: 'Reinstall @tensorflow/tfjs-backend-cpu',
};

/** Turns an import or start-up error into a one-line reason. */
function reasonOf(name: TfBackendName, pkg: string | undefined, error: unknown): string {
  if (error instanceof CandidateFailure) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code;
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Could not resolve/.test(message);
  if (pkg && notFound && message.includes(pkg) && !message.includes('tfjs_binding')) {
    return `package ${pkg} not installed`;
  }
  if (message.includes('tfjs_binding.node') && message.includes('can not be found')) {
    return `package ${pkg} is installed but its native addon is not built (run \`npm run setup:native\`)`;
  }
  const firstLine = message.split('\n')[0] ?? message;
  return `${name} failed to start: ${firstLine}`;
}

/** Activates a registered TensorFlow.js backend, or throws a CandidateFailure. */
async function activate(tfBackend: string): Promise<void> {
  if (!tf.findBackendFactory(tfBackend)) {
    throw new CandidateFailure(
      `backend "${tfBackend}" was not registered in calozoo's @tensorflow/tfjs-core instance ` +
        '(two copies of @tensorflow/tfjs-core installed? run `npm ls @tensorflow/tfjs-core`)',
    );
  }
  let ok = false;
  try {
    ok = await tf.setBackend(tfBackend);
  } catch (error) {
    throw new CandidateFailure(`tf.setBackend("${tfBackend}") threw: ${(error as Error).message}`);
  }
  if (!ok) throw new CandidateFailure(`tf.setBackend("${tfBackend}") failed to initialise the backend`);
}

/** Loads the native (tfjs-node) package and activates its 'tensorflow' backend. */
async function startNative(pkg: string, wantGpu: boolean, request: ThreadsRequest, verbose: boolean): Promise<Started> {
  // Read by the TensorFlow C library when it loads (oneDNN kernels, threads: see native-tuning.ts).
  applyNativeTfEnv();
  const loaded = loadedThreads ?? { threads: applyNativeThreads(request.threads), from: request.from };
  // The library loads on import and starts its eager context with the backend; its start-up lines
  // are kept off the terminal unless verbose (stdio-guard.ts).
  const load = async () => {
    const m = (await import(pkg)) as { version?: Record<string, string> };
    await activate('tensorflow');
    return m;
  };
  const mod = verbose ? await load() : await withStartupLinesHidden(pkg, load);
  // tfjs-node sets `isUsingGpuDevice` as a boolean field when the backend is created.
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean; binding?: { TF_Version?: string } };
  const usingGpu = backend.isUsingGpuDevice === true;
  if (wantGpu && !usingGpu) {
    throw new CandidateFailure('TensorFlow sees no GPU device (CUDA/cuDNN libraries or driver missing)');
  }
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core };
  if (mod.version?.['tfjs-node']) versions['tfjs-node'] = mod.version['tfjs-node'];
  if (backend.binding?.TF_Version) versions['tensorflow'] = backend.binding.TF_Version;
  loadedThreads = loaded;
  return { tfBackend: 'tensorflow', threads: loaded.threads, threadsFrom: loaded.from, versions };
}

/** Intra-op threads the native library was loaded with (it reads them once), and who asked. */
let loadedThreads: { threads: number; from: ThreadsSource } | undefined;

/** `threads`, else `CALOZOO_TF_THREADS`, else `fallbackThreads`, else TensorFlow's default. */
export function threadsRequest(options: SelectTfBackendOptions, env: NodeJS.ProcessEnv = process.env): ThreadsRequest {
  const explicit = requestedNativeThreads(options.threads, env);
  if (explicit !== undefined) return { threads: explicit, from: options.threads !== undefined ? 'option' : 'environment' };
  const fallback = options.fallbackThreads;
  if (fallback === undefined) return { threads: undefined, from: 'default' };
  if (!Number.isInteger(fallback) || fallback < 1) throw new InvalidArgumentError(`selectTfBackend: fallbackThreads must be a positive integer, got ${fallback}`);
  return { threads: fallback, from: 'fallback' };
}

const STARTERS: Record<TfBackendName, { pkg: string; start: (threads: ThreadsRequest, verbose: boolean) => Promise<Started> }> = {
  'tensorflow-gpu': { pkg: '@tensorflow/tfjs-node-gpu', start: (threads, verbose) => startNative('@tensorflow/tfjs-node-gpu', true, threads, verbose) },
  tensorflow: { pkg: '@tensorflow/tfjs-node', start: (threads, verbose) => startNative('@tensorflow/tfjs-node', false, threads, verbose) },
  wasm: {
    pkg: '@tensorflow/tfjs-backend-wasm',
    start: async () => {
      const spec = '@tensorflow/tfjs-backend-wasm';
      const wasm = (await import(spec)) as { getThreadsCount?: () => number; version_wasm?: string };
      await activate('wasm');
      const versions: Record<string, string> = { 'tfjs-core': tf.version_core };
      if (wasm.version_wasm) versions['tfjs-backend-wasm'] = wasm.version_wasm;
      return { tfBackend: 'wasm', threads: wasm.getThreadsCount?.() ?? 1, versions };
    },
  },
  cpu: {
    pkg: '@tensorflow/tfjs-backend-cpu',
    start: async () => {
      await activate('cpu');
      return { tfBackend: 'cpu', threads: 1, versions: { 'tfjs-core': tf.version_core } };
    },
  },
};

/** Whether `selectTfBackend` has activated a backend in this process. */
let selectedOnce = false;

/**
 * Selects the best backend (`selectTfBackend`, quietly) unless one was selected already or the
 * caller activated one by hand (`tf.setBackend`, or any tensor made before): without it TF.js would
 * start its pure-JavaScript `cpu` backend without calozoo's patches (200 ILD BIB-AE showers ran over
 * 15 minutes and 23 GB there; native TensorFlow takes 30 ms and 1.4 GB a shower, 2026-12-07).
 * `loadModel` and `createModel` call it, so library users get the device layer's choice too.
 */
export async function ensureTfBackend(): Promise<void> {
  if (selectedOnce || tf.getBackend()) return;
  await selectTfBackend();
}

/**
 * Selects and activates the best TensorFlow.js backend (`tensorflow-gpu` → `tensorflow` →
 * `wasm` → `cpu`), installs calozoo's kernel and gradient patches, and reports the choice.
 * @throws BackendUnavailableError when a forced backend (or every candidate) cannot start.
 */
export async function selectTfBackend(options: SelectTfBackendOptions = {}): Promise<TfDeviceReport> {
  const { backend, requires = [], logger } = options;
  const verbose = options.verbose ?? process.env['CALOZOO_TF_VERBOSE'] === '1';
  if (backend !== undefined && !TF_BACKEND_PRIORITY.includes(backend)) {
    throw new InvalidArgumentError(
      `selectTfBackend: unknown backend "${String(backend)}"; expected one of ${TF_BACKEND_PRIORITY.join(', ')}.`,
    );
  }
  setTfVerbose(verbose);
  const threads = threadsRequest(options);
  if (threads.threads !== undefined && loadedThreads !== undefined && threads.threads !== loadedThreads.threads) {
    logger?.warn?.(`native TensorFlow already runs with ${loadedThreads.threads} intra-op threads (read once at load); ${threads.threads} not applied`);
  }
  const candidates = backend ? [backend] : TF_BACKEND_PRIORITY;
  const tried: BackendFailure[] = [];
  for (const name of candidates) {
    const { pkg, start } = STARTERS[name];
    try {
      if (requires.includes('conv3d') && !backendSupports3dConv(name)) {
        throw new CandidateFailure(
          `${name} lacks correct 3D convolution gradients (tfjs-backend-wasm 4.22 Conv3DBackprop* give wrong results)`,
        );
      }
      const started = await start(threads, verbose);
      const patches = installTfPatches();
      selectedOnce = true;
      logger?.debug?.(`tfjs patches: ${patches.gradients.length} gradients, ${patches.kernels.length} kernels`);
      const report: TfDeviceReport = {
        runtime: 'tfjs',
        chosen: name,
        tfBackend: started.tfBackend,
        tried,
        threads: started.threads,
        conv3d: backendSupports3dConv(name),
        versions: started.versions,
        ...(started.threadsFrom ? { threadsFrom: started.threadsFrom } : {}),
      };
      logger?.info?.(`TensorFlow.js backend: ${name}` + (tried.length ? ` (skipped ${tried.map((t) => t.name).join(', ')})` : ''));
      return report;
    } catch (error) {
      const failure = { name, reason: reasonOf(name, pkg, error) };
      tried.push(failure);
      logger?.debug?.(`TensorFlow.js backend ${name} unavailable: ${failure.reason}`);
    }
  }
  if (backend) {
    throw new BackendUnavailableError(
      `TensorFlow.js backend "${backend}" was requested but cannot start: ${tried[0]?.reason}. ${HINTS[backend]}.`,
      tried,
    );
  }
  throw new BackendUnavailableError(
    `no TensorFlow.js backend could start (${tried.map((t) => `${t.name}: ${t.reason}`).join('; ')}). ` +
      'Reinstall calozoo\'s dependencies with `npm install`.',
    tried,
  );
}
