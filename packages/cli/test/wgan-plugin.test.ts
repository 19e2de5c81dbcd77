/**
 * @calozoo/wgan is a first-party plugin package: `loadPlugins` imports it, which registers
 * `wgan-gp` and `gan` for `calozoo models`, `train`, `generate` and `export`.
 */
import { expect, it } from 'vitest';
import { getModel } from '@calozoo/core';
import { ganPlugin, wganGpPlugin } from '@calozoo/wgan';
import { loadPlugins } from '../src/plugins.js';

it('loads @calozoo/wgan with the first-party plugins; wgan-gp and gan are registered', async () => {
  const report = await loadPlugins();
  expect(report.loaded).toContain('@calozoo/wgan');
  expect(getModel('wgan-gp')).toBe(wganGpPlugin);
  expect(getModel('gan')).toBe(ganPlugin);
});
