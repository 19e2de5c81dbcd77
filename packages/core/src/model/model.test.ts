import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { MODEL_FORMAT_VERSION, componentsDigest, loadOrDispose, readModelConfig, writeModelConfig } from './model-config.js';
import { applyOverrides, mergeConfig, withLegacyValues } from './config-parse.js';
import { getModel, listModels, listPretrained, loadModel, loadPretrained, pretrainedDir, registerModel, unregisterModel } from './registry.js';
import type { ModelPlugin } from './interfaces.js';
import { PluginNotFoundError } from '../errors.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'model-'));

describe('model config.json', () => {
  it('round-trips and refuses newer formats by name', async () => {
    const dir = tmp();
    const cfg = {
      plugin: 'toy',
      pluginVersion: '0.1.0',
      formatVersion: MODEL_FORMAT_VERSION,
      geometry: 'calochallenge-1-photons',
      conditions: ['energy' as const],
      preprocessing: { eps: 1e-6 },
      components: { net: 'net/' },
      config: { hidden: 8 },
    };
    await writeModelConfig(dir, cfg);
    expect(await readModelConfig(dir)).toMatchObject(cfg);
    expect(await readModelConfig(dir, 'toy')).toMatchObject(cfg);
    await expect(readModelConfig(dir, 'caloman')).rejects.toThrow(/written by plugin "toy", not "caloman"; load it with that plugin/);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, formatVersion: MODEL_FORMAT_VERSION + 1 }));
    await expect(readModelConfig(dir)).rejects.toThrow(new RegExp(`format ${MODEL_FORMAT_VERSION + 1}.*Upgrade @calozoo/core`));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, geometry: 'nope' }));
    await expect(readModelConfig(dir)).rejects.toThrow(/config\.json: unknown geometry "nope"/);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ pluginVersion: '1' }));
    await expect(readModelConfig(dir)).rejects.toThrow(/missing or non-string "plugin"/);
    await expect(readModelConfig(path.join(dir, 'absent'))).rejects.toThrow(/absent.*config\.json: cannot read/);
  });

  it('loadOrDispose returns the loaded model, and disposes it when loading fails', async () => {
    const made = () => ({ disposed: false, dispose(): void { this.disposed = true; } });
    const ok = made();
    expect(await loadOrDispose(ok, async () => {})).toBe(ok);
    expect(ok.disposed).toBe(false);
    const bad = made();
    await expect(loadOrDispose(bad, async () => { throw new Error('damaged weights'); })).rejects.toThrow('damaged weights');
    expect(bad.disposed).toBe(true);
  });

  it('digests the component files (streamed) as SHA-256 over name and bytes, and notices a changed byte', async () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'net', 'sub'), { recursive: true });
    // 3.5 MiB: more than one read of the stream.
    const big = Buffer.alloc(3.5 * 2 ** 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    writeFileSync(path.join(dir, 'net', 'weights.bin'), big);
    writeFileSync(path.join(dir, 'net', 'sub', 'a.txt'), 'abc');
    const want = createHash('sha256');
    for (const [name, bytes] of [['net/sub/a.txt', Buffer.from('abc')], ['net/weights.bin', big]] as const) want.update(`${name}\0`).update(bytes);
    const expected = want.digest('hex');
    const got = await componentsDigest(dir, { net: 'net/' });
    expect(got).toBe(expected);
    big[2 ** 20 + 5] ^= 1;
    writeFileSync(path.join(dir, 'net', 'weights.bin'), big);
    expect(await componentsDigest(dir, { net: 'net/' })).not.toBe(got);
  });
});

describe('config parsing', () => {
  const defaults = { latentDim: 10, vae: { hidden: [512, 512], lr: 1e-3 }, name: 'x' };
  it('merges over defaults and rejects unknown keys listing the valid ones', () => {
    expect(mergeConfig(defaults, { vae: { lr: 0.1 } }, 'cfg.json')).toEqual({ latentDim: 10, vae: { hidden: [512, 512], lr: 0.1 }, name: 'x' });
    expect(() => mergeConfig(defaults, { latentdim: 3 }, 'cfg.json')).toThrow(/cfg\.json: unknown key "latentdim". Valid keys are: latentDim, vae, name/);
    expect(() => mergeConfig(defaults, { vae: { lr: 'fast' } }, 'cfg.json')).toThrow(/"vae.lr" must be a number/);
  });
  it('fills a saved config\'s missing keys with legacy values, section by section, keeping what it has', () => {
    const legacy = { mode: 'old', vae: { lr: 0, extra: { on: false } }, head: { width: 1 } };
    const saved = { latentDim: 3, vae: { hidden: [8], extra: { on: true } } };
    const out = withLegacyValues(saved, legacy) as Record<string, unknown>;
    expect(out).toEqual({ latentDim: 3, mode: 'old', vae: { hidden: [8], lr: 0, extra: { on: true } }, head: { width: 1 } });
    expect(saved).toEqual({ latentDim: 3, vae: { hidden: [8], extra: { on: true } } });
    expect(out['head']).not.toBe(legacy.head);
    expect(withLegacyValues([1], legacy)).toEqual([1]);
    expect(withLegacyValues({ vae: 'x' }, legacy)).toEqual({ vae: 'x', mode: 'old', head: { width: 1 } });
  });
  it('applies --set overrides', () => {
    expect(applyOverrides(defaults, ['vae.lr=0.5', 'name=y', 'vae.hidden=[64]']).vae).toEqual({ hidden: [64], lr: 0.5 });
    expect(() => applyOverrides(defaults, ['vae.nope=1'])).toThrow(/unknown key "vae.nope"/);
    expect(() => applyOverrides(defaults, ['latentDim'])).toThrow(/key=value/);
  });
});

describe('registry', () => {
  const plugin: ModelPlugin<{ a: number }> = {
    name: 'toy-model',
    version: '0.1.0',
    description: 'toy',
    geometries: 'any',
    defaultConfig: () => ({ a: 1 }),
    parseConfig: (raw) => raw as { a: number },
    create: async () => {
      throw new Error('not used');
    },
    load: async (dir) => ({ loadedFrom: dir }) as never,
  };

  it('registers, lists, dispatches loadModel on config.json and explains missing plugins', async () => {
    registerModel(plugin);
    registerModel(plugin);
    expect(getModel('toy-model')).toBe(plugin);
    expect(listModels().map((p) => p.name)).toContain('toy-model');
    expect(() => registerModel({ ...plugin, version: '9.9.9' })).toThrow(/already registered/);
    expect(() => registerModel({ ...plugin, name: 'Bad_Name' })).toThrow(/kebab-case/);
    const dir = tmp();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ plugin: 'toy-model', pluginVersion: '0.1.0', formatVersion: 1, geometry: 'ild-ecal', config: {} }),
    );
    expect(await loadModel(dir)).toEqual({ loadedFrom: dir });
    unregisterModel('toy-model');
    await expect(loadModel(dir)).rejects.toBeInstanceOf(PluginNotFoundError);
    expect(() => getModel('toy-model')).toThrow(/"toy-model" is not registered. Installed plugins:/);
  });

  it('finds shipped pretrained models by name or plugin/name, and says what is installed otherwise', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ plugin: 'toy-model', pluginVersion: '0.1.0', formatVersion: 1, geometry: 'ild-ecal', config: {} }));
    registerModel({ ...plugin, pretrained: { 'ild-photons': dir } });
    expect(listPretrained()).toContainEqual({ plugin: 'toy-model', name: 'ild-photons', dir });
    expect(pretrainedDir('ild-photons')).toBe(dir);
    expect(pretrainedDir('toy-model/ild-photons')).toBe(dir);
    expect(await loadPretrained('ild-photons')).toEqual({ loadedFrom: dir });
    expect(() => pretrainedDir('other-model/ild-photons')).toThrow(/no pretrained model "other-model\/ild-photons" is installed; installed: .*toy-model\/ild-photons/);
    const dir2 = tmp();
    registerModel({ ...plugin, name: 'toy-model-two', pretrained: { 'ild-photons': dir2 } });
    expect(() => pretrainedDir('ild-photons')).toThrow(/shipped by several plugins; name one: toy-model\/ild-photons, toy-model-two\/ild-photons/);
    expect(pretrainedDir('toy-model-two/ild-photons')).toBe(dir2);
    unregisterModel('toy-model-two');
    unregisterModel('toy-model');
  });
});
