/** The native TensorFlow environment defaults: set when absent, a user's value kept. */
import { describe, expect, it } from 'vitest';
import { applyNativeTfEnv, NATIVE_TF_ENV } from './native-tuning.js';

describe('applyNativeTfEnv', () => {
  it('turns on oneDNN kernels when the variable is absent or empty', () => {
    expect(NATIVE_TF_ENV['TF_ENABLE_ONEDNN_OPTS']).toBe('1');
    const env: NodeJS.ProcessEnv = {};
    expect(applyNativeTfEnv(env)).toEqual({ TF_ENABLE_ONEDNN_OPTS: '1' });
    expect(env['TF_ENABLE_ONEDNN_OPTS']).toBe('1');
    const empty: NodeJS.ProcessEnv = { TF_ENABLE_ONEDNN_OPTS: '' };
    applyNativeTfEnv(empty);
    expect(empty['TF_ENABLE_ONEDNN_OPTS']).toBe('1');
  });

  it('keeps a value the user set', () => {
    const env: NodeJS.ProcessEnv = { TF_ENABLE_ONEDNN_OPTS: '0' };
    expect(applyNativeTfEnv(env)).toEqual({});
    expect(env['TF_ENABLE_ONEDNN_OPTS']).toBe('0');
  });
});
