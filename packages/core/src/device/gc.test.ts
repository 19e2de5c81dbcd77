/** `collectGarbage` frees dead typed arrays at once (V8 would keep them until its own next collection). */
import { expect, it } from 'vitest';
import { collectGarbage } from './gc.js';

it('frees dead typed arrays at once', async () => {
  expect(collectGarbage()).toBe(true);
  const before = process.memoryUsage().arrayBuffers;
  // 24 MiB, dead at once: below the external-memory growth at which V8 collects by itself.
  for (let i = 0; i < 3; i++) new Float32Array(2 ** 21).fill(i);
  const dead = process.memoryUsage().arrayBuffers - before;
  expect(collectGarbage()).toBe(true);
  // V8 frees array buffers on a background sweeper after the collection: allow it a moment.
  let after = Infinity;
  for (let t = 0; t < 40 && after >= 4 * 2 ** 20; t++) {
    await new Promise((r) => setTimeout(r, 50));
    after = process.memoryUsage().arrayBuffers - before;
  }
  expect(dead).toBeGreaterThanOrEqual(16 * 2 ** 20);
  expect(after).toBeLessThan(4 * 2 ** 20);
});
