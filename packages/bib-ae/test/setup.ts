/**
 * Test setup: the fastest backend here (native TensorFlow when built, else wasm), or the one
 * named by CALOZOO_TEST_BACKEND. Tests of 3-D convolutions skip themselves, visibly, on wasm
 * (its conv3d gradients are wrong; see `backendSupports3dConv`).
 */
import { selectTfBackend, type TfBackendName } from '@calozoo/core';

const forced = process.env['CALOZOO_TEST_BACKEND'] as TfBackendName | undefined;
await selectTfBackend(forced ? { backend: forced } : {});
