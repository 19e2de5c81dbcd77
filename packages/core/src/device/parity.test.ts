/**
 * Backend parity: loss values and parameter gradients of the reference networks (including the
 * double backprop of a WGAN gradient penalty) on every available backend agree with the cpu
 * backend, whose kernels and gradients `patches.test.ts` checks against finite differences.
 * Backends that cannot start (native TensorFlow before `npm run setup:native`) are listed as
 * skipped with the reason. Tolerances (float32, different summation orders and conv algorithms): loss 1e-4 relative,
 * gradients 1e-3 · max|gradient| per tensor (2e-3 with the gradient penalty).
 */
import { expect, it } from 'vitest';
import { forEachBackend, onCpu } from '../testing/backends.js';
import { expectClose } from './__tests__/reference.js';
import { convGenerator, denseVae, gpCritic, lossAndGrads, type RefNet } from './__tests__/reference-nets.js';
import { tf } from './tf.js';

const cases: [RefNet, number][] = [
  [denseVae, 1e-3],
  [convGenerator, 1e-3],
  [gpCritic, 2e-3],
];

await forEachBackend((backend) => {
  for (const [net, gradTol] of cases) {
    it(`${net.name}: loss and gradients agree with cpu`, async () => {
      const ref = await onCpu(() => lossAndGrads(net));
      const got = lossAndGrads(net);
      expect(tf.getBackend()).toBe(backend);
      expect(Number.isFinite(ref.loss)).toBe(true);
      expect(Math.abs(got.loss - ref.loss)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ref.loss)));
      net.params.forEach(([name], i) => {
        const scale = ref.grads[i]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        // The critic's output bias cancels in D(fake) − D(real) and does not enter ∇ₓD.
        const analyticallyZero = net === gpCritic && name === 'bd';
        if (analyticallyZero) expect(scale).toBeLessThan(1e-6);
        else expect(scale, `gradient of ${name} is not all zero`).toBeGreaterThan(0);
        expectClose(got.grads[i]!, ref.grads[i]!, gradTol);
      });
    });
  }
}, { backends: ['tensorflow', 'wasm'] });
