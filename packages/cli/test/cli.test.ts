import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Rng, getGeometry, importPlugins, loadModel, openShowerFile, writeShowerFile } from '@calozoo/core';
import { nativeAddonBuilt } from '@calozoo/core/testing';
import { BIN, FIXTURE_PLUGIN, run, runInTerminal, start, tmp, waitFor } from './helpers.js';

const COMMANDS = ['simulate', 'evaluate', 'compare', 'demo', 'merge', 'intrinsic-dim', 'info', 'models', 'train', 'generate', 'export', 'bench'];

let dir: string;
let data: string;

beforeAll(async () => {
  expect(existsSync(BIN), `${BIN} missing: build @calozoo/cli first (nx runs build before test)`).toBe(true);
  dir = tmp();
  data = path.join(dir, 'train.h5');
  const g = getGeometry('ds1-photons');
  const rng = new Rng(3);
  const n = 300;
  const values = new Float32Array(n * g.voxels);
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform() < 0.7 ? 0 : rng.exponential() * 30;
  const energy = Float32Array.from({ length: n }, (_, i) => 2 ** (8 + (i % 15)));
  await writeShowerFile(data, { n, voxels: g.voxels, energy, values }, { geometry: g });
});

describe('calozoo CLI: help and usage errors', () => {
  it('prints help with every command, and a working example for each', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) {
      expect(r.stdout).toContain(c);
      const h = await run([c, '--help']);
      expect(h.code, c).toBe(0);
      expect(h.stdout, c).toMatch(/Example:\n  calozoo /);
    }
  });

  it.each([
    [['frobnicate'], /unknown command/],
    [['generate', 'x', '--out', 'y.h5'], /--seed/],
    [['train', 'mean-shower', '--data', 'a.h5'], /--out/],
    [['generate', 'x', '--seed', 'abc', '--out', 'y.h5'], /--seed must be a non-negative integer/],
    [['generate', 'x', '--seed', '1', '--out', 'y.h5', '--n', '0'], /--n must be a positive integer/],
    [['train', 'mean-shower', '--data', 'a.h5', '--out', 'o', '--time', 'soon'], /--time must be a duration/],
    [['train', 'mean-shower', '--data', 'a.h5', '--out', 'o', '--threads', '0'], /--threads must be a positive integer/],
    [['info'], /missing required argument/],
    [['simulate', '--geometry', 'ds1-photons', '--n', '10', '--variation', 'martian', '--out', 'x.h5'], /--variation: unknown variation "martian"; known: nominal, deep, narrow/],
    // Output paths are checked before any work.
    [['simulate', '--geometry', 'ds1-photons', '--n', '10', '--out', '/nonexistent-calozoo/x.h5'], /--out \/nonexistent-calozoo\/x\.h5: the directory \/nonexistent-calozoo does not exist; create it first/],
    [['generate', 'x', '--seed', '1', '--out', '/tmp'], /--out \/tmp: is a directory; give a file name/],
    [['evaluate', '--reference', 'a.h5', '--generated', 'b.h5', '--out', '/etc/passwd'], /--out \/etc\/passwd: is a file/],
    // One generated file per evaluation, not the last of several.
    [['evaluate', '--reference', 'a.h5', '--generated', 'b.h5', '--generated', 'c.h5'], /--generated was given twice \(b\.h5, c\.h5\)/],
  ])('exits 2 on usage error %j', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 1 with a clear message for a missing file and an unknown plugin', async () => {
    const r = await run(['info', path.join(dir, 'absent.h5')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/absent\.h5/);
    const p = await run(['train', 'no-such-model', '--data', data, '--out', path.join(dir, 'x')]);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/"no-such-model" is not registered\. Installed plugins:/);
  });
});

describe('calozoo CLI: info and models', () => {
  it('info summarises a file, as text and JSON', async () => {
    const r = await run(['info', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({ n: 300, voxels: 368, geometry: 'calochallenge-1-photons' });
    expect(info.incidentEnergyMeV.min).toBe(256);
    expect(info.incidentEnergyMeV.distinct).toBe(15);
    expect(info.sparsity).toBeGreaterThan(0.6);
    expect(info.sparsity).toBeLessThan(0.8);
    const t = await run(['info', data]);
    expect(t.stdout).toMatch(/showers\s+300/);
  });

  it('info and evaluate refuse negative voxel energies, naming file, row and voxel; --allow-negative reads them', async () => {
    const g = getGeometry('ds1-photons');
    const neg = path.join(dir, 'negative.h5');
    const values = new Float32Array(20 * g.voxels).fill(1);
    values[13 * g.voxels + 5] = -2;
    await writeShowerFile(neg, { n: 20, voxels: g.voxels, energy: new Float32Array(20).fill(1000), values }, { geometry: g });
    const r = await run(['info', neg]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/negative\.h5: dataset "showers" row 13 holds -2 at voxel 5.*≥ 0 MeV.*--allow-negative/s);
    const ok = await run(['info', neg, '--allow-negative', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).n).toBe(20);
    const e = await run(['evaluate', '--reference', data, '--generated', neg, '--modes', 'hist-chi']);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/negative\.h5.*row 13 holds -2/);
  });

  it('models lists plugins from --plugin and CALOZOO_PLUGINS, and fails on a bad module', async () => {
    const r = await run(['--plugin', FIXTURE_PLUGIN, 'models', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout).models as { name: string; pretrained: string[] }[];
    expect(listed.map((m) => m.name)).toContain('mean-shower');
    // the shipped trained models, by the names loadPretrained takes
    expect(listed.find((m) => m.name === 'caloman')!.pretrained).toEqual(['caloman/ds1-photons']);
    expect(listed.find((m) => m.name === 'wgan-gp')!.pretrained).toEqual(['wgan-gp/ds1-photons', 'wgan-gp/ild-ecal']);
    expect(listed.find((m) => m.name === 'bib-ae')!.pretrained).toEqual(['bib-ae/ds1-photons', 'bib-ae/ild-ecal']);
    expect(listed.find((m) => m.name === 'mean-shower')!.pretrained).toEqual([]);
    const e = await run(['models'], { env: { CALOZOO_PLUGINS: FIXTURE_PLUGIN } });
    expect(e.stdout).toContain('mean-shower');
    expect(e.stdout).toContain("trained models shipped: caloman/ds1-photons (loadPretrained('caloman/ds1-photons'))");
    const bad = await run(['--plugin', './no-such-plugin.mjs', 'models']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/could not load plugin module.*no-such-plugin/);
  });
});

describe('calozoo CLI: train → generate', () => {
  it.skipIf(!nativeAddonBuilt())('--threads sets native TensorFlow\'s intra-op threads and the backend line says so', async () => {
    const out = path.join(dir, 'model-threads');
    const r = await run(['--plugin', FIXTURE_PLUGIN, 'train', 'mean-shower', '--data', data, '--out', out, '--epochs', '1', '--seed', '4', '--backend', 'tensorflow', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/backend: tensorflow, 1 intra-op thread\b/);
    // TensorFlow's start-up lines (absl's pre-initialisation notice, oneDNN's) stay off the terminal.
    expect(r.stderr).not.toMatch(/absl::InitializeLog|oneDNN custom operations/);
  });

  it('trains, writes the model directory, and generates reproducibly', async () => {
    const out = path.join(dir, 'model');
    const r = await run(['--plugin', FIXTURE_PLUGIN, 'train', 'mean-shower', '--data', data, '--out', out, '--epochs', '2', '--seed', '4', '--backend', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ plugin: 'mean-shower', geometry: 'calochallenge-1-photons', stoppedBy: 'epochs', trainSize: 240, validationSize: 60 });
    expect(existsSync(path.join(out, 'config.json'))).toBe(true);
    expect(existsSync(path.join(out, 'training.json'))).toBe(true);
    // The model card records the command that trains it again.
    expect(summary.command).toBe(`calozoo --plugin ${FIXTURE_PLUGIN} train mean-shower --data ${data} --out ${out} --seed 4 --epochs 2 --backend cpu`);
    expect(JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')).training.command).toBe(summary.command);
    const gen = (seed: number, file: string) =>
      run(['--plugin', FIXTURE_PLUGIN, 'generate', out, '--like', data, '--n', '120', '--seed', String(seed), '--out', file, '--json']);
    const a = await gen(9, path.join(dir, 'a.h5'));
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ n: 120, geometry: 'calochallenge-1-photons' });
    await gen(9, path.join(dir, 'b.h5'));
    await gen(10, path.join(dir, 'c.h5'));
    const read = async (f: string) => {
      const h = await openShowerFile(f);
      const s = h.readRange(0, h.n);
      h.close();
      return s;
    };
    const [sa, sb, sc, ref] = await Promise.all([read(path.join(dir, 'a.h5')), read(path.join(dir, 'b.h5')), read(path.join(dir, 'c.h5')), read(data)]);
    expect(Array.from(sa.values)).toEqual(Array.from(sb.values));
    expect(Array.from(sa.values)).not.toEqual(Array.from(sc.values));
    expect(Array.from(sa.energy)).toEqual(Array.from(ref.energy.subarray(0, 120)));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // A plugin without an ONNX export: `export` says so (exit 1); `bench` still times its TF.js path.
    const x = await run(['--plugin', FIXTURE_PLUGIN, 'export', out]);
    expect(x.code).toBe(1);
    expect(x.stderr).toMatch(/plugin "mean-shower" has no ONNX export; generate with --runtime tfjs/);
    const b = await run(['--plugin', FIXTURE_PLUGIN, 'bench', '--model', out, '--runtime', 'tfjs', '--batch', '1,10', '--seconds', '1', '--json']);
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout).rows.map((r: { batch: number }) => r.batch)).toEqual([1, 10]);
    expect((await run(['bench', '--model', out, '--batch', '0'])).code).toBe(2);
  });

  it('shards are disjoint and reproducible, and merge joins them into the unsharded file', async () => {
    const out = path.join(dir, 'model');
    const base = ['--plugin', FIXTURE_PLUGIN, 'generate', out, '--energies', '1000,5000,20000', '--n', '25000', '--seed', '3'];
    expect((await run([...base, '--out', path.join(dir, 'full.h5')])).code).toBe(0);
    const shards = [1, 2, 3].map((k) => path.join(dir, `shard-${k}.h5`));
    for (const [i, f] of shards.entries()) {
      const r = await run([...base, '--shard', `${i + 1}/3`, '--out', f]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect((await run([...base, '--shard', '4/3', '--out', path.join(dir, 'x.h5')])).code).toBe(2);
    // 15 000 showers are 2 seeded blocks: every k of 3 refuses alike, before any work.
    const few = ['--plugin', FIXTURE_PLUGIN, 'generate', out, '--energies', '1000', '--n', '15000', '--seed', '3'];
    for (const k of [1, 2, 3]) {
      const r = await run([...few, '--shard', `${k}/3`, '--out', path.join(dir, `few-${k}.h5`)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/only 2 seeded block\(s\).*use at most 2 shard/);
    }
    // Energies outside the training range (256 MeV – 4.2 TeV here) are generated, with a warning naming the range.
    const far = await run(['--plugin', FIXTURE_PLUGIN, 'generate', out, '--energies', '1000,1e9', '--n', '4', '--seed', '1', '--out', path.join(dir, 'far.h5')]);
    expect(far.code, far.stderr).toBe(0);
    expect(far.stderr).toMatch(/2 of 4 incident energies lie outside the range this model was trained on, 256 to 4194304 MeV/);
    const near = await run(['--plugin', FIXTURE_PLUGIN, 'generate', out, '--energies', '1000', '--n', '4', '--seed', '1', '--out', path.join(dir, 'near.h5')]);
    expect(near.stderr).not.toMatch(/outside the range/);
    const m = await run(['merge', shards[2], shards[0], shards[1], '--out', path.join(dir, 'merged.h5'), '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout).n).toBe(25000);
    const read = async (f: string) => {
      const h = await openShowerFile(f);
      const s = h.readRange(0, h.n);
      h.close();
      return s;
    };
    const [full, merged, first] = [await read(path.join(dir, 'full.h5')), await read(path.join(dir, 'merged.h5')), await read(shards[0])];
    expect(first.n).toBe(10000);
    expect(merged.n).toBe(full.n);
    expect(Buffer.from(merged.values.buffer).equals(Buffer.from(full.values.buffer))).toBe(true);
    // The library path through the registry gives the same showers as the CLI's block-by-block file.
    await importPlugins([FIXTURE_PLUGIN]);
    const model = await loadModel(out);
    const lib = await model.generate({ energy: full.energy }, { seed: 3, batchSize: 777 });
    expect(Buffer.from(lib.values.buffer).equals(Buffer.from(full.values.buffer))).toBe(true);
    model.dispose();
    const bad = await run(['merge', shards[0], shards[1], '--out', path.join(dir, 'incomplete.h5')]);
    expect(bad.code).toBe(1);
    expect(existsSync(path.join(dir, 'incomplete.h5'))).toBe(false);
  });

  it('Ctrl-C during train keeps the checkpoint, prints the resume command, and resume finishes', async () => {
    const out = path.join(dir, 'model-int');
    const cfg = path.join(dir, 'slow.json');
    await import('node:fs').then((fs) => fs.writeFileSync(cfg, JSON.stringify({ sleepMsPerEpoch: 400 })));
    const p = start(['--plugin', FIXTURE_PLUGIN, 'train', 'mean-shower', '--data', data, '--out', out, '--epochs', '50', '--config', cfg, '--seed', '1']);
    await waitFor(() => existsSync(path.join(out, 'checkpoints', 'latest')));
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
    // The resume command repeats every option, the plugin module included.
    expect(r.stderr).toMatch(/resume with:\n  calozoo --plugin \S+mean-plugin.mjs train mean-shower --data .* --seed 1 --resume --epochs 50/);
    expect(existsSync(path.join(out, 'config.json'))).toBe(false);
    const resume = r.stderr.split('resume with:\n  ')[1].trim().split(/\s+/).slice(1);
    const rr = await run([...resume, '--epochs', '3', '--json']);
    expect(rr.code, rr.stderr).toBe(0);
    expect(rr.stderr).toMatch(/resuming from epoch-/);
    const hist = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(path.join(out, 'training.json'), 'utf8'))).history;
    expect(hist.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2, 3].slice(0, hist.length));
    expect(hist.at(-1).epoch).toBe(3);
  });

  it('Ctrl-C during generate leaves no partial output file', async () => {
    const out = path.join(dir, 'model-int'); // trained with 400 ms of sleep per block
    await interruptLeavesNothing('interrupted.h5', (target) => ['--plugin', FIXTURE_PLUGIN, 'generate', out, '--energies', '1000,2000', '--n', '200000', '--seed', '1', '--out', target], 'generate');
  });
});

/** Starts a command writing `name` in the test directory, sends SIGINT once it reports progress, and expects exit 130 and no file. */
async function interruptLeavesNothing(name: string, args: (target: string) => string[], progress: string): Promise<void> {
  const target = path.join(dir, name);
  const p = start(args(target));
  await waitFor(() => p.output().includes(progress), 60_000);
  p.child.kill('SIGINT');
  const r = await p.done;
  expect(r.code).toBe(130);
  expect(existsSync(target)).toBe(false);
  expect(readdirSync(dir).filter((f) => f.includes(name.replace(/\.h5$/, '')))).toEqual([]);
}

describe('calozoo CLI: Ctrl-C during simulate', () => {
  it('stops within a chunk and leaves no output file (the whole run would take far longer)', async () => {
    await interruptLeavesNothing('sim-interrupted.h5', (target) => ['simulate', '--geometry', 'ds1-photons', '--n', '2000000', '--seed', '1', '--out', target], 'showers');
  });
});

describe('calozoo CLI: Ctrl-C during merge', () => {
  it('stops between chunks within seconds, exits 130 and leaves no output file', async () => {
    const parts = ['merge-a.h5', 'merge-b.h5'].map((f) => path.join(dir, f));
    for (const [i, f] of parts.entries()) expect((await run(['simulate', '--geometry', 'ds1-photons', '--n', '60000', '--seed', String(30 + i), '--out', f])).code).toBe(0);
    const target = path.join(dir, 'merged-int.h5');
    const p = start(['merge', ...parts, '--out', target]);
    // SIGINT as soon as the output's temporary file exists: the merge has started writing (~180 MB to gzip).
    await waitFor(() => readdirSync(dir).some((f) => f.startsWith('merged-int.h5.tmp-')), 60_000);
    const sent = Date.now();
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code, r.stderr).toBe(130);
    expect(Date.now() - sent).toBeLessThan(3_000);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('merged-int'))).toEqual([]);
  });
});

describe('calozoo CLI: Ctrl-C during evaluate', () => {
  it('stops the classifier within a step, exits 130 and writes no metrics', async () => {
    const files = ['int-ref.h5', 'int-gen.h5'].map((f) => path.join(dir, f));
    for (const [i, f] of files.entries()) expect((await run(['simulate', '--geometry', 'ds1-photons', '--n', '3000', '--seed', String(20 + i), '--out', f])).code).toBe(0);
    const report = path.join(dir, 'int-report');
    // The official protocol: about 50 s for these files, so the interrupt lands during training (its first progress line comes after 2 s).
    const p = start(['evaluate', '--reference', files[0]!, '--generated', files[1]!, '--modes', 'cls-low', '--out', report]);
    await waitFor(() => p.output().includes('cls-low'), 60_000);
    const sent = Date.now();
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(existsSync(path.join(report, 'metrics.json'))).toBe(false);
  });
});

describe('calozoo CLI: simulate → evaluate, and the demo pipeline', () => {
  it('simulate writes a reproducible file that info reads; evaluate writes metrics.json and the report', async () => {
    const a = path.join(dir, 'sim-a.h5');
    const r = await run(['simulate', '--geometry', 'ds1-photons', '--n', '400', '--seed', '5', '--out', a, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ n: 400, seed: 5, geometry: 'calochallenge-1-photons' });
    const info = JSON.parse((await run(['info', a, '--json'])).stdout);
    expect(info).toMatchObject({ n: 400, voxels: 368, geometry: 'calochallenge-1-photons' });
    expect(info.attributes.generator).toBe('calozoo-simulator');
    const b = path.join(dir, 'sim-b.h5');
    await run(['simulate', '--geometry', 'ds1-photons', '--n', '400', '--seed', '6', '--out', b]);
    const report = path.join(dir, 'report');
    const e = await run(['evaluate', '--reference', a, '--generated', b, '--out', report, '--modes', 'hist-chi', '--json']);
    expect(e.code, e.stderr).toBe(0);
    const m = JSON.parse(e.stdout);
    expect(m.geometry).toBe('calochallenge-1-photons');
    expect(existsSync(path.join(report, 'metrics.json'))).toBe(true);
    expect(existsSync(path.join(report, 'index.html'))).toBe(true);
    const id = await run(['intrinsic-dim', a, '--k', '5,10', '--json']);
    expect(id.code, id.stderr).toBe(0);
    const est = JSON.parse(id.stdout).estimates;
    expect(est.map((e: { k: number }) => e.k)).toEqual([5, 10]);
    expect(est[0].levinaBickel).toBeGreaterThan(1);
    expect(est[0].levinaBickel).toBeLessThan(368);
    expect((await run(['intrinsic-dim', a, '--k', '2'])).code).toBe(2);
    const bad = await run(['evaluate', '--reference', a, '--generated', b, '--modes', 'cls-magic']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown evaluation mode/);
  });

  it('demo runs simulate → generate → evaluate with a given model directory', async () => {
    const report = path.join(dir, 'demo-report');
    const r = await run(['--plugin', FIXTURE_PLUGIN, 'demo', '--model', path.join(dir, 'model'), '--n', '300', '--out', report, '--work', path.join(dir, 'demo'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.report).toBe(path.join(report, 'index.html'));
    expect(j.results).toHaveLength(1);
    expect(j.results[0].observables.length).toBeGreaterThan(10);
    expect(j.results[0].observables.every((o: { name: string }) => typeof o.name === 'string')).toBe(true);
    expect(j.table.find((r: { metric: string }) => r.metric === 'mean separation power')['mean-shower']).toBe(j.results[0].summary.meanSeparationPower);
    expect(existsSync(path.join(report, 'index.html'))).toBe(true);
    expect(existsSync(path.join(report, 'mean-shower', 'index.html'))).toBe(true);
    expect(existsSync(path.join(dir, 'demo', 'generated-calochallenge-1-photons-mean-shower.h5'))).toBe(true);
    // A given model: one pass on its geometry, no ILD 30³ pass.
    expect(j.ild).toBeUndefined();
    expect((await run(['demo', '--ild-n', '-1'])).stderr).toMatch(/--ild-n must be a non-negative integer, got "-1"/);
  });
});

describe('calozoo CLI: progress display', () => {
  it('draws a progress bar in a terminal and plain lines otherwise', async () => {
    const out = path.join(dir, 'model');
    const args = ['--plugin', FIXTURE_PLUGIN, 'generate', out, '--energies', '1000', '--n', '20000', '--seed', '1', '--out', path.join(dir, 'tty.h5')];
    const cmd = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const tty = await runInTerminal(cmd, { COLUMNS: '160' });
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(/generate \|[█░]+\| \d+% \| \d+\/20000 showers \| [\d.]+ showers\/s \| ETA/);
    const plain = await run([...args.slice(0, -1), path.join(dir, 'plain.h5')]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/^generate: 20000\/20000 showers \(100%\), [\d.e+]+ showers\/s/m);
    expect(plain.stderr).not.toMatch(/[█░]/);
    expect(statSync(path.join(dir, 'plain.h5')).size).toBeGreaterThan(0);
  });
});
