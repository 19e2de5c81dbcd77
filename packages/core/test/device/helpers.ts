/** Shared by the ensure-backend tests (each in its own file, so its own process). */
import { getGeometry } from '../../src/geometry/index.js';
import { createModel, registerModel } from '../../src/model/registry.js';
import { tf } from '../../src/device/tf.js';

/** Registers a plugin `name` whose `create` records the active TF.js backend, runs `createModel` on it and returns that backend. */
export async function backendAtCreate(name: string): Promise<string | undefined> {
  let seen: string | undefined;
  registerModel({
    name, version: '0.0.1', description: 'records the backend at create', geometries: 'any',
    defaultConfig: () => ({}), parseConfig: (raw) => raw as object,
    create: async () => {
      seen = tf.getBackend();
      return {} as never;
    },
    load: async () => ({}) as never,
  });
  await createModel(name, {}, getGeometry('ds1-photons'));
  return seen;
}
