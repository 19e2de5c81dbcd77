/**
 * The published-size conv generators (ngf 32, latent 100; ILD 30³ and 48×25×25) through the
 * model's `generate`: TF.js and ONNX Runtime (the exported graph with its sub-pixel transposed
 * convolutions and per-channel LayerNorm) give the same showers, and the batch size changes no
 * byte. Forward passes only, but the 3-D convolutions are slow on wasm (its transposed
 * convolution runs on the cpu kernel there), so this is skipped, visibly, on wasm.
 */
import { expect, it } from 'vitest';
import { getGeometry, tf, type TfBackendName } from '@calozoo/core';
import { forEachBackend } from '@calozoo/core/testing';
import { wganGpPlugin } from '../src/index.js';

await forEachBackend(() => {
  for (const id of ['ild-ecal', 'ild-hcal']) {
    it(`${id}: TF.js and ONNX Runtime agree at the published size; batch size changes nothing`, async () => {
      const g = getGeometry(id);
      const model = await wganGpPlugin.create(wganGpPlugin.defaultConfig(g), g);
      // Five showers: ONNX Runtime's CPU default runs them as 4 + 1, batchSize 2 as 2 + 2 + 1.
      const conditions = { energy: Float32Array.of(10_000, 32_500, 55_000, 77_500, 100_000) };
      const a = await model.generate(conditions, { seed: 4, runtime: 'tfjs' });
      const b = await model.generate(conditions, { seed: 4, runtime: 'onnx' });
      const c = await model.generate(conditions, { seed: 4, runtime: 'onnx', batchSize: 2 });
      expect(a.values.length).toBe(5 * g.voxels);
      const max = a.values.reduce((m, v) => Math.max(m, v), 0);
      expect(max).toBeGreaterThan(0);
      let d = 0;
      for (let i = 0; i < a.values.length; i++) d = Math.max(d, Math.abs(a.values[i]! - b.values[i]!));
      expect(d / max).toBeLessThan(1e-4);
      expect(Buffer.from(c.values.buffer).equals(Buffer.from(b.values.buffer))).toBe(true);
      model.dispose();
    }, 120_000);
  }
}, { backends: [tf.getBackend() as TfBackendName], requires: ['conv3d'] });
