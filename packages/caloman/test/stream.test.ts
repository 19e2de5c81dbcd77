/**
 * Training from a file larger than the memory budget: the VAE's voxels are streamed through
 * core's `ShowerDataset` instead of being read whole. The streamed run must train (held-out
 * losses fall), see exactly the preprocessing and layer-energy phase the in-memory run sees, and
 * resume bit-exactly from a checkpoint taken in the middle of a streamed epoch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getGeometry, memorySource, openShowerFile, writeShowerFile, type ShowerFile } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { CaloManModel } from '../src/index.js';
import { tinyConfig } from './tiny.js';

const g = getGeometry('calochallenge-1-photons');
const dir = mkdtempSync(path.join(tmpdir(), 'caloman-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const showers = simulateShowers(g, { n: 400, seed: 61 });
const cond = { energy: Float32Array.of(2048, 8192, 65536) };

async function file(): Promise<ShowerFile> {
  const f = path.join(dir, 'train.h5');
  await writeShowerFile(f, showers, { geometry: g, chunkRows: 50 });
  return openShowerFile(f);
}

describe('training streamed from a file', () => {
  it('trains, and gives the in-memory run exactly when the set fits one shuffle buffer', async () => {
    const f = await file();
    const logs: string[] = [];
    const streamed = new CaloManModel(tinyConfig(g, 64), g);
    const r = await streamed.fit(f, { seed: 3, epochs: 3, memoryBudgetMiB: 0, logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m) } });
    expect(logs.join('\n')).toMatch(/voxels streamed from the file/);
    const vae = r.history.filter((h) => h.phase === 'vae');
    expect(vae).toHaveLength(3);
    expect(vae[2]!.trainLoss).toBeLessThan(vae[0]!.trainLoss);
    const memory = new CaloManModel(tinyConfig(g, 64), g);
    const rm = await memory.fit(memorySource(showers), { seed: 3, epochs: 3 });
    // One block of 400 rows: the dataset's block shuffle draws the same permutation as the
    // in-memory batches, so every loss of every phase is the same.
    expect(r.history.map((h) => [h.phase, h.trainLoss, h.validationLoss])).toEqual(rm.history.map((h) => [h.phase, h.trainLoss, h.validationLoss]));
    // Same split and preprocessing, computed in one streamed pass.
    expect(Array.from(streamed.state.fractionLo!)).toEqual(Array.from(memory.state.fractionLo!));
    expect(Array.from(streamed.state.fractionHi!)).toEqual(Array.from(memory.state.fractionHi!));
    expect(streamed.state.epl).toEqual(memory.state.epl);
    const eplOf = (m: CaloManModel) => Object.values(m.nets.epl.variables()).flatMap((v) => Array.from(v.dataSync()));
    expect(eplOf(streamed)).toEqual(eplOf(memory));
    const s = await streamed.generate(cond, { seed: 1 });
    expect(s.values.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    for (const m of [streamed, memory]) m.dispose();
    f.close();
  }, 600_000);

  it('an aborted streamed run resumed from its checkpoint ends with the same bytes', async () => {
    const f = await file();
    const options = { seed: 4, epochs: 3, memoryBudgetMiB: 0, checkpointEverySeconds: 0 };
    const straight = new CaloManModel(tinyConfig(g, 64), g);
    await straight.fit(f, options);
    const expected = await straight.generate(cond, { seed: 2 });
    const ck = path.join(dir, 'checkpoints');
    const controller = new AbortController();
    const first = new CaloManModel(tinyConfig(g, 64), g);
    // Abort in the middle of the VAE's second epoch (320 training rows, batches of 64: 5 steps per epoch).
    const r1 = await first.fit(f, {
      ...options,
      checkpointDir: ck,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'train:vae' && e.unit === 'steps' && e.done >= 7) controller.abort();
      },
    });
    expect(r1.stoppedBy).toBe('abort');
    const resumed = new CaloManModel(tinyConfig(g, 64), g);
    await resumed.fit(f, { ...options, checkpointDir: ck, resume: true });
    const got = await resumed.generate(cond, { seed: 2 });
    expect(Buffer.from(got.values.buffer).equals(Buffer.from(expected.values.buffer))).toBe(true);
    for (const m of [straight, first, resumed]) m.dispose();
    f.close();
  }, 600_000);
});
