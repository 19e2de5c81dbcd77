import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../errors.js';
import { selectOrtProviders } from './select-ort.js';

// Independent check: CUDA can run only where an NVIDIA driver is loaded.
const hasNvidiaDriver = existsSync('/proc/driver/nvidia/version');

describe('selectOrtProviders', () => {
  it.skipIf(hasNvidiaDriver)('falls back to cpu and records why cuda is unavailable', async () => {
    const report = await selectOrtProviders();
    expect(report).toMatchObject({ runtime: 'onnxruntime', chosen: 'cpu', executionProviders: ['cpu'] });
    expect(report.tried).toHaveLength(1);
    expect(report.tried[0]?.name).toBe('cuda');
    expect(report.tried[0]?.reason).toMatch(/cuda|NVIDIA/i);
  });

  it.skipIf(hasNvidiaDriver)('throws BackendUnavailableError for a forced cuda provider without CUDA', async () => {
    const error = await selectOrtProviders({ provider: 'cuda' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).failures[0]?.name).toBe('cuda');
  });

  it('uses cpu when forced', async () => {
    const report = await selectOrtProviders({ provider: 'cpu' });
    expect(report).toMatchObject({ chosen: 'cpu', tried: [], executionProviders: ['cpu'] });
  });

  it('rejects an unknown provider name', async () => {
    await expect(selectOrtProviders({ provider: 'rocm' as never })).rejects.toThrow(/unknown provider "rocm"/);
  });
});
