import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGeometry } from '@calozoo/core';
import { afterAll, describe, expect, it } from 'vitest';
import { calomanPlugin, type CaloManModel } from '../src/index.js';
import { tinyConfig } from './tiny.js';

const dir = mkdtempSync(join(tmpdir(), 'caloman-legacy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('model directories written before vae.likelihood and generation.decoderNoise existed', () => {
  it('load with the shared σ and the decoder mean they were trained with, not with today’s defaults', async () => {
    const geometry = getGeometry('calochallenge-1-photons');
    const c = tinyConfig(geometry);
    const old = (await calomanPlugin.create({ ...c, vae: { ...c.vae, likelihood: 'shared' }, generation: { ...c.generation, decoderNoise: 0 } }, geometry)) as CaloManModel;
    const out = join(dir, 'old');
    await old.save(out);
    old.dispose();
    const file = join(out, 'config.json');
    const cfg = JSON.parse(readFileSync(file, 'utf8'));
    delete cfg.config.vae.likelihood;
    delete cfg.config.generation.decoderNoise;
    writeFileSync(file, JSON.stringify(cfg));
    const model = (await calomanPlugin.load(out)) as CaloManModel;
    try {
      expect(model.config.vae.likelihood).toBe('shared');
      expect(model.config.generation.decoderNoise).toBe(0);
      expect(calomanPlugin.defaultConfig(geometry)).toMatchObject({ vae: { likelihood: 'zero-inflated' }, generation: { decoderNoise: 1 } });
    } finally {
      model.dispose();
    }
  });
});
