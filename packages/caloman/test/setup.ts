/**
 * Test setup: runs the suite on the wasm backend (5× faster than cpu here and always
 * installed), or on the backend named by CALOZOO_TEST_BACKEND.
 */
import { selectTfBackend, type TfBackendName } from '@calozoo/core';

await selectTfBackend({ backend: (process.env['CALOZOO_TEST_BACKEND'] ?? 'wasm') as TfBackendName });
