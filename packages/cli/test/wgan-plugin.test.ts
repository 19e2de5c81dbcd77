/**
 * @calozoo/wgan is a first-party plugin package: `loadPlugins` imports it, which registers
 * `wgan-gp` and `gan` for `calozoo models`, `train`, `generate` and `export`.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { getModel } from '@calozoo/core';
import { ganPlugin, wganGpPlugin } from '@calozoo/wgan';
import { loadPlugins } from '../src/plugins.js';
import { run, tmp } from './helpers.js';

it('loads @calozoo/wgan with the first-party plugins; wgan-gp and gan are registered', async () => {
  const report = await loadPlugins();
  expect(report.loaded).toContain('@calozoo/wgan');
  expect(getModel('wgan-gp')).toBe(wganGpPlugin);
  expect(getModel('gan')).toBe(ganPlugin);
});

it('a config the plugin refuses (conv networks on an irregular geometry) leaves no checkpoint config to --resume from', async () => {
  const dir = tmp('calozoo-wgan-refused-');
  const data = path.join(dir, 'ds1.h5');
  expect((await run(['simulate', '--geometry', 'ds1-photons', '--n', '50', '--seed', '1', '--out', data])).code).toBe(0);
  const out = path.join(dir, 'model');
  const r = await run(['train', 'wgan-gp', '--data', data, '--out', out, '--set', 'architecture=conv', '--epochs', '1']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/conv/);
  expect(existsSync(path.join(out, 'checkpoints', 'config.json'))).toBe(false);
  const resume = await run(['train', 'wgan-gp', '--data', data, '--out', out, '--resume']);
  expect(resume.code).toBe(2);
  expect(resume.stderr).toMatch(/--resume: no checkpoint config/);
}, 120_000);

it('--memory bounds the showers read for training: the first ones that fit, said on stderr and recorded in the command', async () => {
  const dir = tmp('calozoo-wgan-memory-');
  const data = path.join(dir, 'ds1.h5');
  expect((await run(['simulate', '--geometry', 'ds1-photons', '--n', '500', '--seed', '1', '--out', data])).code).toBe(0);
  const out = path.join(dir, 'model');
  const narrow = ['dense.generatorHidden=[16]', 'dense.criticHidden=[16]', 'latentDim=4', 'validationShowers=16'];
  const r = await run(['train', 'wgan-gp', '--data', data, '--out', out, '--epochs', '1', '--memory', '1', '--json', ...narrow.flatMap((s) => ['--set', s])]);
  expect(r.code, r.stderr).toBe(0);
  const summary = JSON.parse(r.stdout);
  // 1 MiB holds a raw and an encoded float32 copy of floor(2^20 / (8 · 368)) = 356 dataset-1 showers.
  expect(summary.trainSize + summary.validationSize).toBe(356);
  expect(r.stderr).toMatch(/first 356 of 500 showers.*memory budget of 1 MiB/);
  expect(summary.command).toMatch(/--memory 1\b/);
}, 120_000);
