import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { getGeometry, memorySource } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { CaloManModel } from '../src/index.js';
import { tinyConfig } from './tiny.js';

describe('checkpoints', () => {
  it('an aborted fit resumed from its checkpoint ends exactly where the uninterrupted fit ends', async () => {
    const g = getGeometry('calochallenge-1-photons');
    const data = memorySource(simulateShowers(g, { n: 300, seed: 31 }));
    const cfg = tinyConfig(g, 64);
    const cond = { energy: Float32Array.of(2048, 8192, 32768, 131072) };
    const options = { seed: 9, epochs: 3, checkpointEverySeconds: 1e6 };

    const straight = new CaloManModel(cfg, g);
    const r0 = await straight.fit(data, { ...options });
    const expected = await straight.generate(cond, { seed: 2 });

    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'caloman-ck-')), 'checkpoints');
    const controller = new AbortController();
    const first = new CaloManModel(cfg, g);
    const r1 = await first.fit(data, {
      ...options,
      checkpointDir: dir,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'train:vae' && e.unit === 'epochs' && e.done === 2) controller.abort();
      },
    });
    expect(r1.stoppedBy).toBe('abort');
    const latest = readFileSync(path.join(dir, 'latest'), 'utf8').trim();
    expect(latest).toMatch(/^epoch-\d{4}$/);
    // EPL finished (3 epochs) and the VAE stopped before its third epoch: 3 + 2 epochs in total.
    expect(latest).toBe('epoch-0005');
    for (const f of ['state.json', 'weights.safetensors', 'optimizer.safetensors', 'best.safetensors']) expect(existsSync(path.join(dir, latest, f))).toBe(true);
    const state = JSON.parse(readFileSync(path.join(dir, latest, 'state.json'), 'utf8'));
    expect(state.phases[1]).toMatchObject({ epoch: 2, step: 0, done: false });

    const resumed = new CaloManModel(cfg, g);
    const r2 = await resumed.fit(data, { ...options, checkpointDir: dir, resume: true });
    expect(r2.history.map((h) => [h.phase, h.epoch, h.validationLoss])).toEqual(r0.history.map((h) => [h.phase, h.epoch, h.validationLoss]));
    const got = await resumed.generate(cond, { seed: 2 });
    expect(Array.from(got.values)).toEqual(Array.from(expected.values));
    expect(readdirSync(dir).filter((f) => f.startsWith('epoch-')).length).toBeLessThanOrEqual(2);
    for (const m of [straight, first, resumed]) m.dispose();
  }, 600_000);

  it('a time limit is shared between the phases and every phase still trains', async () => {
    const g = getGeometry('calochallenge-1-photons');
    const data = memorySource(simulateShowers(g, { n: 300, seed: 32 }));
    const model = new CaloManModel(tinyConfig(g, 64), g);
    const report = await model.fit(data, { seed: 1, epochs: 10_000, timeLimitSeconds: 6 });
    expect(['time', 'epochs']).toContain(report.stoppedBy);
    expect(report.seconds).toBeLessThan(60);
    for (const phase of ['epl', 'vae', 'latent-flow']) expect(report.history.some((h) => h.phase === phase)).toBe(true);
    const s = await model.generate({ energy: Float32Array.of(8192) }, { seed: 1 });
    expect(s.values.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    model.dispose();
  }, 600_000);
});
