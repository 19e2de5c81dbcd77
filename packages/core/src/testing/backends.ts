/**
 * Runs a block of tests once per TensorFlow.js backend available here (tfjs's
 * `describeWithFlags`). Backends that cannot start are listed as skipped, with the reason in the
 * block's name, so a missing native build shows in the test report instead of passing silently.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe } from 'vitest';
import { BackendUnavailableError } from '../errors.js';
import { backendSupports3dConv } from '../device/capabilities.js';
import { selectTfBackend } from '../device/select-tf.js';
import { tf } from '../device/tf.js';
import type { TfBackendName, TfRequirement } from '../device/types.js';

/** Whether one backend can start here, and why not. */
export interface BackendAvailability {
  name: TfBackendName;
  available: boolean;
  reason?: string;
}

/** Backends the parity suites compare; the GPU build is left out unless asked for. */
export const TESTED_BACKENDS: readonly TfBackendName[] = ['tensorflow', 'wasm', 'cpu'];

const cache = new Map<TfBackendName, Promise<BackendAvailability>>();

async function probe(name: TfBackendName): Promise<BackendAvailability> {
  const previous = tf.getBackend();
  try {
    await selectTfBackend({ backend: name });
    return { name, available: true };
  } catch (error) {
    if (!(error instanceof BackendUnavailableError)) throw error;
    return { name, available: false, reason: error.failures[0]?.reason ?? error.message };
  } finally {
    if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  }
}

/** Probes each backend (once per process) and says which can start. */
export async function availableBackends(
  names: readonly TfBackendName[] = TESTED_BACKENDS,
): Promise<BackendAvailability[]> {
  const out: BackendAvailability[] = [];
  for (const name of names) {
    if (!cache.has(name)) cache.set(name, probe(name));
    out.push(await cache.get(name)!);
  }
  return out;
}

/** Options of `forEachBackend`. */
export interface ForEachBackendOptions {
  /** Backends to run on (default `TESTED_BACKENDS`). */
  backends?: readonly TfBackendName[];
  /** Skip (visibly) backends lacking these capabilities, e.g. wasm for 'conv3d'. */
  requires?: readonly TfRequirement[];
}

/**
 * Declares `fn`'s tests once per backend inside `describe('backend <name>')`, activating that
 * backend first; await it at the top level of a test file.
 * @example await forEachBackend((backend) => { it('adds', () => { ... }); });
 */
export async function forEachBackend(
  fn: (backend: TfBackendName) => void,
  options: ForEachBackendOptions = {},
): Promise<void> {
  const { backends = TESTED_BACKENDS, requires = [] } = options;
  for (const { name, available, reason } of await availableBackends(backends)) {
    const lacks = requires.includes('conv3d') && !backendSupports3dConv(name);
    if (!available || lacks) {
      const why = lacks ? 'wasm lacks correct 3D convolution gradients' : reason;
      describe.skip(`backend ${name} (skipped: ${why})`, () => fn(name));
      continue;
    }
    describe(`backend ${name}`, () => {
      beforeAll(async () => {
        await selectTfBackend({ backend: name });
      });
      fn(name);
    });
  }
}

/** Whether the native tfjs-node addon has been built here (`npm run setup:native`). */
export function nativeAddonBuilt(): boolean {
  try {
    const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json');
    return existsSync(join(dirname(pkg), 'lib', 'napi-v8', 'tfjs_binding.node'));
  } catch {
    return false;
  }
}

/** Runs `fn` on the cpu backend (the parity suites' reference) and returns to the active backend. */
export async function onCpu<T>(fn: () => T): Promise<T> {
  const current = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return fn();
  } finally {
    await tf.setBackend(current);
  }
}
