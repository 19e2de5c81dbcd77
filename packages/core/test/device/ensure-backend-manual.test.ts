/**
 * A backend the caller activated by hand is kept: `createModel` does not replace `tf.setBackend('cpu')`
 * with the device layer's choice (its own file: a process where nothing was selected before).
 */
import { expect, it } from 'vitest';
import { tf } from '../../src/device/tf.js';
import { backendAtCreate } from './helpers.js';

it('createModel keeps a backend set by hand', async () => {
  await tf.setBackend('cpu');
  expect(await backendAtCreate('backend-probe-manual')).toBe('cpu');
});
