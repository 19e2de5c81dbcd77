/**
 * End to end with the real first-party model: simulate → train a tiny CaloMan for a few
 * epochs → resume → generate → evaluate, through the built `calozoo` binary.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { getGeometry, openShowerFile } from '@calozoo/core';
import { calomanPlugin } from '@calozoo/caloman';
import { run, start, tmp, waitFor } from './helpers.js';

let dir: string;

beforeAll(() => {
  dir = tmp('calozoo-caloman-');
  const g = getGeometry('ds1-photons');
  const c = calomanPlugin.defaultConfig(g) as Record<string, any>;
  const flow = { couplings: 2, hidden: 16, blocks: 1, bins: 6, tailBound: 4, luLinear: true };
  const t = { learningRate: 3e-3, batchSize: 128, maxEpochs: 10, patience: 20, schedule: 'constant', gradClipNorm: 10 };
  const tiny = {
    ...c,
    latentDim: 4,
    epl: { flow, training: t },
    vae: { ...c.vae, hidden: [32, 32], training: t },
    latentFlow: { ...c.latentFlow, flow, training: t },
    calibration: { ...c.calibration, quantiles: 10 },
  };
  writeFileSync(path.join(dir, 'tiny.json'), JSON.stringify(tiny));
});

describe('calozoo with CaloMan', () => {
  it('trains, resumes, generates and evaluates a tiny CaloMan', async () => {
    const data = path.join(dir, 'train.h5');
    const ref = path.join(dir, 'ref.h5');
    expect((await run(['simulate', '--geometry', 'ds1-photons', '--n', '800', '--seed', '1', '--out', data])).code).toBe(0);
    expect((await run(['simulate', '--geometry', 'ds1-photons', '--n', '400', '--seed', '2', '--out', ref])).code).toBe(0);
    const out = path.join(dir, 'model');
    const args = ['train', 'caloman', '--data', data, '--out', out, '--config', path.join(dir, 'tiny.json'), '--seed', '1', '--backend', 'wasm', '--epochs', '60', '--checkpoint-every', '1s'];
    const p = start(args);
    await waitFor(() => existsSync(path.join(out, 'checkpoints', 'latest')), 300_000);
    p.child.kill('SIGINT');
    const interrupted = await p.done;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const resume = interrupted.stderr.split('resume with:\n  ')[1].trim().split(/\s+/).slice(1);
    expect(resume).toContain('--resume');
    const resumed = await run([...resume, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming from/);
    const summary = JSON.parse(resumed.stdout);
    expect(summary).toMatchObject({ plugin: 'caloman', geometry: 'calochallenge-1-photons', trainSize: 640, validationSize: 160 });
    const phases = new Set(JSON.parse(readFileSync(path.join(out, 'training.json'), 'utf8')).history.map((h: { phase: string }) => h.phase));
    expect([...phases]).toEqual(expect.arrayContaining(['epl', 'vae', 'latent-flow']));
    expect(existsSync(path.join(out, 'config.json'))).toBe(true);
    const gen = path.join(dir, 'gen.h5');
    const g = await run(['generate', out, '--like', ref, '--seed', '5', '--out', gen, '--runtime', 'tfjs', '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout).n).toBe(400);
    const e = await run(['evaluate', '--reference', ref, '--generated', gen, '--modes', 'hist-chi', '--json']);
    expect(e.code, e.stderr).toBe(0);
    const m = JSON.parse(e.stdout);
    expect(m.samples).toEqual({ reference: 400, generated: 400 });
    expect(m.summary.meanSeparationPower).toBeGreaterThanOrEqual(0);
    expect(m.summary.meanSeparationPower).toBeLessThanOrEqual(1);

    // export → generate on ONNX Runtime (the default once exported) → same showers as TF.js.
    const x = await run(['export', out, '--json']);
    expect(x.code, x.stderr).toBe(0);
    expect(JSON.parse(x.stdout).graphs.map((r: { role: string }) => r.role).sort()).toEqual(['generator', 'layerEnergies']);
    expect(existsSync(path.join(out, 'onnx', 'generator.onnx'))).toBe(true);
    const genOnnx = path.join(dir, 'gen-onnx.h5');
    const go = await run(['generate', out, '--like', ref, '--seed', '5', '--out', genOnnx, '--threads', '1', '--json']);
    expect(go.code, go.stderr).toBe(0);
    const [a, b] = await Promise.all([gen, genOnnx].map(async (f) => {
      const h = await openShowerFile(f);
      try {
        return h.readRange(0, h.n);
      } finally {
        h.close();
      }
    }));
    let worst = 0;
    for (let i = 0; i < a!.values.length; i++) worst = Math.max(worst, Math.abs(a!.values[i]! - b!.values[i]!) / a!.energy[Math.floor(i / a!.voxels)]!);
    expect(worst).toBeLessThan(1e-4);

    const bench = await run(['bench', '--model', out, '--batch', '1,64', '--seconds', '1', '--json']);
    expect(bench.code, bench.stderr).toBe(0);
    const rows = JSON.parse(bench.stdout).rows as { runtime: string; batch: number; msPerShower: number; showersPerSecond: number }[];
    expect(rows.map((r) => `${r.runtime}/${r.batch}`)).toEqual(['onnx/1', 'onnx/64', 'tfjs/1', 'tfjs/64']);
    for (const r of rows) expect(r.msPerShower * r.showersPerSecond).toBeCloseTo(1000, 0);
    expect((await run(['bench', '--model', out, '--runtime', 'gpu'])).code).toBe(2);
  }, 600_000);
});
