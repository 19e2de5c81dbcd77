/**
 * @calozoo/bib-ae is a first-party plugin package: `loadPlugins` imports it, which registers
 * `bib-ae` for `calozoo models`, `train`, `generate` and `export`; a narrowed model trains,
 * generates and exports through the CLI.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { getModel } from '@calozoo/core';
import { bibAePlugin } from '@calozoo/bib-ae';
import { loadPlugins } from '../src/plugins.js';
import { run, tmp } from './helpers.js';

it('loads @calozoo/bib-ae with the first-party plugins; bib-ae is registered', async () => {
  const report = await loadPlugins();
  expect(report.loaded).toContain('@calozoo/bib-ae');
  expect(getModel('bib-ae')).toBe(bibAePlugin);
});

it('train bib-ae → generate → export through the CLI (narrowed networks, one epoch per stage)', async () => {
  const dir = tmp('calozoo-bib-ae-');
  const data = path.join(dir, 'ds1.h5');
  expect((await run(['simulate', '--geometry', 'ds1-photons', '--n', '200', '--seed', '1', '--out', data])).code).toBe(0);
  const out = path.join(dir, 'model');
  const narrow = ['dense.encoderHidden=[32]', 'dense.decoderHidden=[32]', 'dense.criticHidden=[32]', 'postProcessor.channels=8', 'sampler.flow.couplings=2', 'sampler.flow.hidden=16'];
  const r = await run(['train', 'bib-ae', '--data', data, '--out', out, '--epochs', '1', ...narrow.flatMap((s) => ['--set', s])]);
  expect(r.code, r.stderr).toBe(0);
  for (const c of ['encoder', 'decoder', 'critic', 'latent-critic', 'post-processor', 'sampler']) expect(existsSync(path.join(out, c, 'weights.safetensors'))).toBe(true);
  const gen = path.join(dir, 'gen.h5');
  const g = await run(['generate', out, '--like', data, '--seed', '3', '--out', gen]);
  expect(g.code, g.stderr).toBe(0);
  expect(existsSync(gen)).toBe(true);
  const e = await run(['export', out]);
  expect(e.code, e.stderr).toBe(0);
  expect(existsSync(path.join(out, 'onnx', 'generator.onnx'))).toBe(true);
}, 180_000);
