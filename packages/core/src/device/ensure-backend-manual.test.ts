/**
 * A backend the caller activated by hand is kept: `createModel` does not replace `tf.setBackend('cpu')`
 * with the device layer's choice (its own file: a process where nothing was selected before).
 */
import { expect, it } from 'vitest';
import { getGeometry } from '../geometry/index.js';
import { createModel, registerModel } from '../model/registry.js';
import { tf } from './tf.js';

it('createModel keeps a backend set by hand', async () => {
  await tf.setBackend('cpu');
  let seen: string | undefined;
  registerModel({
    name: 'backend-probe-manual', version: '0.0.1', description: 'records the backend at create', geometries: 'any',
    defaultConfig: () => ({}), parseConfig: (raw) => raw as object,
    create: async () => {
      seen = tf.getBackend();
      return {} as never;
    },
    load: async () => ({}) as never,
  });
  await createModel('backend-probe-manual', {}, getGeometry('ds1-photons'));
  expect(seen).toBe('cpu');
});
