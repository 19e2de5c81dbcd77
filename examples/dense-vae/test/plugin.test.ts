/**
 * The example plugin passes core's conformance suite, and runs end to end through the CLI with
 * `--plugin`: train → export ONNX → generate → the file has the geometry's showers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getGeometry, memorySource, openShowerFile, writeShowerFile } from '@calozoo/core';
import { pluginConformance } from '@calozoo/core/testing';
import { simulateShowers } from '@calozoo/simulator';
import { denseVaePlugin } from '../src/index.js';

const geometry = getGeometry('ds1-photons');
const train = simulateShowers(geometry, { n: 600, seed: 3 });

pluginConformance({
  plugin: denseVaePlugin,
  geometry,
  config: { ...denseVaePlugin.defaultConfig(geometry), hidden: 32, maxEpochs: 3 },
  data: memorySource(train),
  fit: { seed: 1, epochs: 3 },
  runtimeTolerance: 1e-4,
});

describe('dense-vae through the CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dense-vae-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('@calozoo/cli/package.json')), 'dist', 'bin.js');
  const plugin = path.resolve(import.meta.dirname, '..', 'dist', 'index.js');
  const cli = (...args: string[]): string => execFileSync(process.execPath, [bin, '--plugin', plugin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it.skipIf(!existsSync(plugin))('trains, exports ONNX and generates with --plugin (needs the built dist/)', async () => {
    const data = path.join(dir, 'train.h5');
    await writeShowerFile(data, train, { geometry });
    const model = path.join(dir, 'model');
    const t = JSON.parse(cli('train', 'dense-vae', '--data', data, '--out', model, '--epochs', '4', '--set', 'hidden=32', '--json'));
    expect(t).toMatchObject({ plugin: 'dense-vae', geometry: geometry.id, trainSize: 480, validationSize: 120 });
    // The held-out loss fell during training.
    const history = JSON.parse(readFileSync(path.join(model, 'training.json'), 'utf8')).history as { validationLoss: number }[];
    expect(history).toHaveLength(4);
    expect(history.at(-1)!.validationLoss).toBeLessThan(history[0]!.validationLoss);
    cli('export', model);
    expect(existsSync(path.join(model, 'onnx', 'decoder.onnx'))).toBe(true);
    const out = path.join(dir, 'gen.h5');
    cli('generate', model, '--energies', '1000,100000', '--n', '50', '--seed', '4', '--out', out);
    const f = await openShowerFile(out);
    const s = f.readRange(0, f.n);
    f.close();
    expect(s.n).toBe(50);
    expect(s.voxels).toBe(geometry.voxels);
    expect(s.values.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(s.values.some((v) => v > 0)).toBe(true);
  }, 300_000);
});
