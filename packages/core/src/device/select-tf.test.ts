import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../errors.js';
import { selectTfBackend, threadsRequest } from './select-tf.js';
import { tf } from './tf.js';
import { nativeAddonBuilt } from '../testing/backends.js';

describe('native intra-op thread request', () => {
  it('takes threads, else CALOZOO_TF_THREADS, else fallbackThreads, else the default', () => {
    expect(threadsRequest({ threads: 2, fallbackThreads: 1 }, { CALOZOO_TF_THREADS: '3' })).toEqual({ threads: 2, from: 'option' });
    expect(threadsRequest({ fallbackThreads: 1 }, { CALOZOO_TF_THREADS: '3' })).toEqual({ threads: 3, from: 'environment' });
    expect(threadsRequest({ fallbackThreads: 1 }, {})).toEqual({ threads: 1, from: 'fallback' });
    expect(threadsRequest({}, {})).toEqual({ threads: undefined, from: 'default' });
    expect(() => threadsRequest({ fallbackThreads: 0 }, {})).toThrow(/fallbackThreads must be a positive integer/);
  });
});

describe('selectTfBackend', () => {
  it('picks the first backend of the priority list that starts and records the ones before it', async () => {
    const report = await selectTfBackend();
    expect(report.runtime).toBe('tfjs');
    expect(tf.getBackend()).toBe(report.tfBackend);
    // tensorflow-gpu is never installed in CI: its failure is recorded, with the package name.
    expect(report.tried[0]).toEqual({ name: 'tensorflow-gpu', reason: 'package @tensorflow/tfjs-node-gpu not installed' });
    const order = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
    expect(report.tried.map((t) => t.name)).toEqual(order.slice(0, order.indexOf(report.chosen)));
  });

  it.skipIf(!nativeAddonBuilt())('chooses native tensorflow when its addon is built (else: run npm run setup:native)', async () => {
    const report = await selectTfBackend();
    expect(report).toMatchObject({ chosen: 'tensorflow', tfBackend: 'tensorflow', conv3d: true });
    expect(report.versions['tensorflow']).toMatch(/^2\./);
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it.skipIf(nativeAddonBuilt())('reports a missing native build with the command that builds it', async () => {
    const error = await selectTfBackend({ backend: 'tensorflow' }).catch((e: unknown) => e);
    expect((error as BackendUnavailableError).failures[0]?.reason).toMatch(/setup:native/);
  });

  it('activates a forced backend and reports its threads', async () => {
    const report = await selectTfBackend({ backend: 'cpu' });
    expect(report).toMatchObject({ chosen: 'cpu', tfBackend: 'cpu', tried: [], threads: 1, conv3d: true });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await selectTfBackend({ backend: 'wasm' });
    expect(wasm).toMatchObject({ chosen: 'wasm', conv3d: false });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('throws BackendUnavailableError with the failure record for a forced backend that cannot start', async () => {
    const before = tf.getBackend();
    const error = await selectTfBackend({ backend: 'tensorflow-gpu' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).failures).toEqual([
      { name: 'tensorflow-gpu', reason: 'package @tensorflow/tfjs-node-gpu not installed' },
    ]);
    expect((error as Error).message).toMatch(/tensorflow-gpu.*requested.*not installed/);
    expect(tf.getBackend()).toBe(before); // no silent fallback
  });

  it('skips wasm when 3D convolutions are required', async () => {
    const error = await selectTfBackend({ backend: 'wasm', requires: ['conv3d'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).failures[0]?.reason).toMatch(/3D convolution/);
  });

  it('rejects an unknown backend name', async () => {
    await expect(selectTfBackend({ backend: 'webgpu' as never })).rejects.toThrow(/unknown backend "webgpu"/);
  });

  it('keeps the TensorFlow C library quiet unless verbose', async () => {
    await selectTfBackend({ backend: 'cpu' });
    expect(process.env['TF_CPP_MIN_LOG_LEVEL']).toBeDefined();
    expect(tf.env().getBool('PROD')).toBe(true);
    await selectTfBackend({ backend: 'cpu', verbose: true });
    expect(tf.env().getBool('PROD')).toBe(false);
  });
});
