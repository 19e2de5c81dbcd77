/**
 * `createModel` and `loadModel` select the device layer's best TensorFlow.js backend when the
 * caller chose none (TF.js alone would start its pure-JavaScript `cpu` backend, unpatched). Its own
 * file: the check needs a process where no backend has started yet.
 */
import { expect, it } from 'vitest';
import { selectTfBackend } from '../../src/device/select-tf.js';
import { tf } from '../../src/device/tf.js';
import { backendAtCreate } from './helpers.js';

it('createModel starts the backend selectTfBackend picks when no backend runs yet', async () => {
  expect(tf.getBackend()).toBeFalsy();
  const seen = await backendAtCreate('backend-probe');
  const best = await selectTfBackend();
  expect(seen).toBe(best.tfBackend);
});
