/**
 * `createModel` and `loadModel` select the device layer's best TensorFlow.js backend when the
 * caller chose none (TF.js alone would start its pure-JavaScript `cpu` backend, unpatched). Its own
 * file: the check needs a process where no backend has started yet.
 */
import { expect, it } from 'vitest';
import { getGeometry } from '../geometry/index.js';
import { createModel, registerModel } from '../model/registry.js';
import { selectTfBackend } from './select-tf.js';
import { tf } from './tf.js';

it('createModel starts the backend selectTfBackend picks when no backend runs yet', async () => {
  expect(tf.getBackend()).toBeFalsy();
  let seen: string | undefined;
  registerModel({
    name: 'backend-probe', version: '0.0.1', description: 'records the backend at create', geometries: 'any',
    defaultConfig: () => ({}), parseConfig: (raw) => raw as object,
    create: async () => {
      seen = tf.getBackend();
      return {} as never;
    },
    load: async () => ({}) as never,
  });
  await createModel('backend-probe', {}, getGeometry('ds1-photons'));
  const best = await selectTfBackend();
  expect(seen).toBe(best.tfBackend);
});
