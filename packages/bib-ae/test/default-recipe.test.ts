/**
 * Defaults are the recipe: `calozoo train bib-ae` with no --set on dataset-1 photons trains with
 * exactly the config of the shipped model, so a user reproduces it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getGeometry, readModelConfig } from '@calozoo/core';
import { bibAePlugin } from '../src/index.js';
import { withLegacyKeys } from '../src/config.js';

const shippedDir = fileURLToPath(new URL('../models/ds1-photons', import.meta.url));

describe('default recipe', () => {
  it('the dataset-1-photon defaults equal the shipped model’s training config', async () => {
    const shipped = await readModelConfig(shippedDir);
    // Keys added since it was written (postProcessor.form) read as it was trained (withLegacyKeys), as loading does.
    expect(bibAePlugin.defaultConfig(getGeometry('ds1-photons'))).toEqual(withLegacyKeys(shipped.config));
  });

  it('the shipped model card names the command it was trained with: `calozoo train bib-ae` and no --set or --config', async () => {
    const shipped = await readModelConfig(shippedDir);
    expect(String(shipped.training?.['command'])).toMatch(/^calozoo train bib-ae --data \S+ --out \S+ --seed 1 --time \d+s$/);
  });
});
