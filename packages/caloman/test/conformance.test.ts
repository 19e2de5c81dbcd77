import { getGeometry, getModel, memorySource } from '@calozoo/core';
import { pluginConformance } from '@calozoo/core/testing';
import { simulateShowers } from '@calozoo/simulator';
import { describe, expect, it } from 'vitest';
import { calomanPlugin } from '../src/index.js';
import { tinyConfig } from './tiny.js';

const geometry = getGeometry('calochallenge-1-photons');

describe('registration', () => {
  it('registers the caloman plugin on import', () => {
    expect(getModel('caloman')).toBe(calomanPlugin);
    expect(() => calomanPlugin.parseConfig({ vae: { hiden: [1] } }, 'my.json')).toThrow(/my\.json.*unknown key "vae\.hiden".*hidden/);
    expect(() => calomanPlugin.parseConfig({ voxelTransform: 'cube' }, 'my.json')).toThrow(/voxelTransform/);
    for (const id of ['calochallenge-1-photons', 'calochallenge-1-pions', 'calochallenge-2', 'calochallenge-3', 'ild-ecal']) {
      const g = getGeometry(id);
      expect(calomanPlugin.parseConfig(calomanPlugin.defaultConfig(g), id)).toEqual(calomanPlugin.defaultConfig(g));
    }
  });

  it('asks for one native intra-op thread on 2 cores (measured in bench/TRAINING.md), the default elsewhere', () => {
    expect(calomanPlugin.trainingThreads?.(1)).toBe(1);
    expect(calomanPlugin.trainingThreads?.(2)).toBe(1);
    expect(calomanPlugin.trainingThreads?.(8)).toBeUndefined();
  });
});

pluginConformance({
  plugin: calomanPlugin,
  geometry,
  timeoutMs: 600_000,
  config: tinyConfig(geometry, 64),
  data: memorySource(simulateShowers(geometry, { n: 300, seed: 41 })),
  fit: { seed: 1, epochs: 2 },
});
