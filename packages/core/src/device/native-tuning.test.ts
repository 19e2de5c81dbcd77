/** The native TensorFlow environment defaults: set when absent, a user's value kept. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { applyNativeTfEnv, applyNativeThreads, NATIVE_TF_ENV, requestedNativeThreads } from './native-tuning.js';

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

describe('native intra-op threads', () => {
  it('takes the option, else CALOZOO_TF_THREADS, else leaves TensorFlow its default', () => {
    expect(requestedNativeThreads(3, { CALOZOO_TF_THREADS: '1' })).toBe(3);
    expect(requestedNativeThreads(undefined, { CALOZOO_TF_THREADS: '1' })).toBe(1);
    expect(requestedNativeThreads(undefined, { CALOZOO_TF_THREADS: '' })).toBeUndefined();
    expect(requestedNativeThreads(undefined, {})).toBeUndefined();
  });

  it('rejects counts that are not positive integers, naming where they came from', () => {
    expect(() => requestedNativeThreads(0, {})).toThrow(InvalidArgumentError);
    expect(() => requestedNativeThreads(1.5, {})).toThrow(/selectTfBackend: threads must be a positive integer, got "1.5"/);
    expect(() => requestedNativeThreads(undefined, { CALOZOO_TF_THREADS: 'two' })).toThrow(/CALOZOO_TF_THREADS must be a positive integer, got "two"/);
  });

  it('sets TF_NUM_INTRAOP_THREADS and reports the count the library will use', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(applyNativeThreads(1, env, 8)).toBe(1);
    expect(env['TF_NUM_INTRAOP_THREADS']).toBe('1');
    expect(applyNativeThreads(undefined, { TF_NUM_INTRAOP_THREADS: '4' }, 8)).toBe(4);
    expect(applyNativeThreads(undefined, {}, 8)).toBe(8);
  });
});
