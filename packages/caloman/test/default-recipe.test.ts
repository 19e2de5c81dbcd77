/**
 * Defaults are the recipe: `calozoo train caloman` with no --set on dataset-1 photons trains with
 * exactly the config of the shipped model, so a user reproduces it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getGeometry, readModelConfig } from '@calozoo/core';
import { calomanPlugin } from '../src/index.js';

describe('default recipe', () => {
  it('the dataset-1-photon defaults equal the shipped model’s training config', async () => {
    const shipped = await readModelConfig(fileURLToPath(new URL('../models/ds1-photons', import.meta.url)));
    const defaults = calomanPlugin.defaultConfig(getGeometry('ds1-photons'));
    expect(defaults).toEqual(shipped.config);
    expect(defaults.vae).toMatchObject({ likelihood: 'zero-inflated', freeBits: 0.5 });
  });

  it('the shipped model card names the command it was trained with: `calozoo train caloman` and no --set or --config', async () => {
    const shipped = await readModelConfig(fileURLToPath(new URL('../models/ds1-photons', import.meta.url)));
    const command = String(shipped.training?.['command']);
    expect(command).toMatch(/^calozoo train caloman --data \S+ --out \S+ --seed 1 --time \d+s$/);
  });

  it('the dataset-1-pion defaults are the measured pion run’s recipe: the photon one on the pion geometry', () => {
    // README "Pions": `--set vae.training.batchSize=256`, the photon model's setting, and nothing else.
    const pions = calomanPlugin.defaultConfig(getGeometry('ds1-pions'));
    expect(pions.vae.training.batchSize).toBe(256);
    expect(pions).toEqual(calomanPlugin.defaultConfig(getGeometry('ds1-photons')));
  });
});
