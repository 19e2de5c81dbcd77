/**
 * ModelSessions: an export is used while it matches the model directory, else graphs are built in
 * memory with one warning; sessions are reopened when threads or settings change and released on
 * request; loading and generating hash the weight files once.
 */
import { mkdirSync, mkdtempSync, promises as fsp, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ModelSessions, type GenerationSessions } from '../../src/generate/index.js';
import { loadModel, registerModel, unregisterModel } from '../../src/model/registry.js';
import { MODEL_FORMAT_VERSION, writeModelConfig } from '../../src/model/model-config.js';
import type { Generator, Trainable } from '../../src/model/interfaces.js';
import { OnnxGraphBuilder } from '../../src/onnx/index.js';

const root = mkdtempSync(join(tmpdir(), 'calozoo-sessions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const card = { plugin: 'toy-sessions', pluginVersion: '0.0.1', geometry: 'calochallenge-1-photons' };

/** A model of one weight k: its graph is y = k·x; `setting` stands for a generation setting the graph depends on. */
class Toy {
  k = 2;
  setting = 'a';
  builds = 0;
  warnings: string[] = [];
  readonly runtime = new ModelSessions<'main'>({
    card,
    opset: 17,
    glue: 'none',
    settingsKey: () => this.setting,
    warn: (m) => this.warnings.push(m),
    graphs: () => ({
      main: {
        file: 'onnx/main.onnx',
        inputs: { x: ['n', 1] },
        outputs: { y: ['n', 1] },
        description: 'y = k·x',
        build: (metadata) => {
          this.builds++;
          const g = new OnnxGraphBuilder();
          g.output(g.mul(g.input('x', 'float32', [null, 1]), this.k), 'y');
          return g.toBytes(metadata);
        },
      },
    }),
  });
}

/** Writes a model directory with weight k (one weight file and config.json). */
async function saveToy(dir: string, k: number): Promise<void> {
  mkdirSync(join(dir, 'net'), { recursive: true });
  writeFileSync(join(dir, 'net', 'weights.bin'), new Float32Array([k]));
  await writeModelConfig(dir, { plugin: card.plugin, pluginVersion: card.pluginVersion, formatVersion: MODEL_FORMAT_VERSION, geometry: card.geometry, conditions: ['energy'], preprocessing: {}, components: { net: 'net/' }, config: { k } });
}

const run = async (s: GenerationSessions<'main'>, x = 3): Promise<number> => (await s.sessions.main.run({ x: { data: new Float32Array([x]), dims: [1, 1] } })).y!.data[0] as number;

describe('ModelSessions', () => {
  it('uses the exported files while the export matches the directory, without building the graph', async () => {
    const dir = join(root, 'current');
    await saveToy(dir, 2);
    const a = new Toy();
    a.runtime.setDir(dir);
    const meta = await a.runtime.export(dir);
    expect(meta).toMatchObject({ format: 'calozoo-onnx', formatVersion: 1, plugin: card.plugin, opset: 17, graphs: { main: { file: 'onnx/main.onnx' } } });
    expect(meta.weightsDigest).toMatch(/^[0-9a-f]{64}$/);
    const b = new Toy();
    b.k = 5; // what the files hold wins: the session runs the exported k = 2
    b.runtime.setDir(dir);
    const s = await b.runtime.open(1);
    expect(s.source).toBe('files');
    expect(b.builds).toBe(0);
    expect(await run(s)).toBe(6);
    expect(b.warnings).toEqual([]);
    b.runtime.release();
  });

  it('builds the graphs in memory and warns exactly once when the export is stale', async () => {
    const dir = join(root, 'stale');
    await saveToy(dir, 2);
    const a = new Toy();
    a.runtime.setDir(dir);
    await a.runtime.export(dir);
    await saveToy(dir, 4); // new weights, old export
    const b = new Toy();
    b.k = 4;
    b.runtime.setDir(dir);
    const s1 = await b.runtime.open(1);
    expect(s1.source).toBe('memory');
    expect(await run(s1)).toBe(12);
    const s2 = await b.runtime.open(2); // reopened for another thread count: still stale, no second warning
    expect(s2).not.toBe(s1);
    expect(s2.source).toBe('memory');
    expect(b.warnings).toHaveLength(1);
    expect(b.warnings[0]).toContain(`${join(dir, 'onnx')} was exported from other weights or settings than ${dir}`);
    expect(b.warnings[0]).toContain(`Run \`calozoo export ${dir}\``);
    // A fresh export of the directory is used at once.
    await b.runtime.export(dir);
    expect((await b.runtime.open()).source).toBe('files');
    expect(b.warnings).toHaveLength(1);
    b.runtime.release();
  });

  it('keeps the sessions for the same threads and settings, reopens them when either changes', async () => {
    const m = new Toy();
    const s1 = await m.runtime.open(1);
    expect(s1.source).toBe('memory');
    expect(await m.runtime.open(1)).toBe(s1);
    expect(await m.runtime.open()).toBe(s1); // no thread count asked: whatever is open
    m.setting = 'b';
    m.k = 7;
    const s2 = await m.runtime.open(1);
    expect(s2).not.toBe(s1);
    expect(s2.key).toBe('b');
    expect(await run(s2)).toBe(21);
    await expect(run(s1)).rejects.toThrow(/dispose/i);
    m.runtime.release();
  });

  it('a setting changed in memory since loading is not served from the export, and refuses to be exported', async () => {
    const dir = join(root, 'settings');
    await saveToy(dir, 2);
    const m = new Toy();
    m.runtime.setDir(dir);
    await m.runtime.export(dir);
    expect((await m.runtime.open()).source).toBe('files');
    m.setting = 'b';
    expect((await m.runtime.open()).source).toBe('memory');
    await expect(m.runtime.export(dir)).rejects.toThrow(/settings changed since .* save the model before exporting/);
    expect(m.warnings).toEqual([]);
    m.runtime.release();
  });

  it('release() disposes of the sessions; the next open opens new ones', async () => {
    const m = new Toy();
    const s1 = await m.runtime.open(1);
    m.runtime.release();
    await expect(run(s1)).rejects.toThrow(/dispose/i);
    const s2 = await m.runtime.open(1);
    expect(s2).not.toBe(s1);
    expect(await run(s2)).toBe(6);
    m.runtime.release();
  });

  it('loadModel + generate (twice, with a reopen) hash the weight files once', async () => {
    const dir = join(root, 'hash-once');
    await saveToy(dir, 2);
    const exporter = new Toy();
    exporter.runtime.setDir(dir);
    await exporter.runtime.export(dir);
    const plugin = {
      name: card.plugin,
      version: card.pluginVersion,
      description: 'toy',
      geometries: 'any' as const,
      defaultConfig: () => ({}),
      parseConfig: (raw: unknown) => raw as Record<string, never>,
      create: async () => {
        throw new Error('not used');
      },
      load: async (d: string) => {
        const t = new Toy();
        t.runtime.setDir(d);
        return {
          card: { ...card, conditions: ['energy' as const] },
          toy: t,
          generate: async (c: { energy: Float32Array }, o: { threads?: number }) => {
            const s = await t.runtime.open(o.threads);
            const values = (await s.sessions.main.run({ x: { data: c.energy, dims: [c.energy.length, 1] } })).y!.data as Float32Array;
            return { n: c.energy.length, voxels: 1, energy: c.energy, values, source: s.source };
          },
          dispose: () => t.runtime.release(),
        } as unknown as Generator & Trainable;
      },
    };
    registerModel(plugin);
    const readFile = vi.spyOn(fsp, 'readFile');
    const open = vi.spyOn(fsp, 'open');
    const weightReads = (): number => [...readFile.mock.calls, ...open.mock.calls].filter(([f]) => String(f).endsWith(join('net', 'weights.bin'))).length;
    try {
      const model = await loadModel(dir);
      expect(weightReads()).toBe(1); // the registry's check of config.json's weightsDigest
      const a = await model.generate({ energy: new Float32Array([1, 2]) }, { seed: 1, threads: 1 });
      const b = await model.generate({ energy: new Float32Array([3]) }, { seed: 1, threads: 2 });
      expect((a as unknown as { source: string }).source).toBe('files');
      expect((b as unknown as { source: string }).source).toBe('files');
      expect(Array.from(a.values)).toEqual([2, 4]);
      expect(weightReads()).toBe(1);
      model.dispose();
    } finally {
      unregisterModel(card.plugin);
    }
  });
});
