/**
 * `calozoo evaluate` records where its numbers come from: simulate → train (fixture plugin) →
 * generate → evaluate through the built binary, then metrics.json and index.html name both files
 * (path, size, modification time), the model and generator the generated file records, the seeds,
 * the calozoo versions (the CLI's included), Node.js, the backend and the command line.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { BIN, FIXTURE_PLUGIN, run, tmp } from './helpers.js';

let dir: string;

beforeAll(() => {
  expect(existsSync(BIN), `${BIN} missing: build @calozoo/cli first (nx runs build before test)`).toBe(true);
  dir = tmp('calozoo-cli-eval-');
});

describe('calozoo evaluate: report provenance', () => {
  it('metrics.json and index.html name the files, the model, the seeds, the versions and the command line', async () => {
    const ref = path.join(dir, 'reference.h5');
    const gen = path.join(dir, 'generated.h5');
    const model = path.join(dir, 'model');
    const report = path.join(dir, 'report');
    expect((await run(['simulate', '--geometry', 'ds1-photons', '--n', '400', '--seed', '5', '--out', ref])).code).toBe(0);
    const t = await run(['--plugin', FIXTURE_PLUGIN, 'train', 'mean-shower', '--data', ref, '--out', model, '--epochs', '1', '--seed', '4', '--backend', 'cpu']);
    expect(t.code, t.stderr).toBe(0);
    const g = await run(['--plugin', FIXTURE_PLUGIN, 'generate', model, '--like', ref, '--n', '300', '--seed', '9', '--out', gen]);
    expect(g.code, g.stderr).toBe(0);

    const args = ['evaluate', '--reference', ref, '--generated', gen, '--out', report, '--modes', 'hist-chi', '--json'];
    const e = await run(args);
    expect(e.code, e.stderr).toBe(0);
    const m = JSON.parse(readFileSync(path.join(report, 'metrics.json'), 'utf8'));
    const p = m.provenance;
    expect(p.commandLine).toBe(['calozoo', ...args].join(' '));
    expect(p.reference).toMatchObject({ source: 'file', path: ref, bytes: statSync(ref).size, modified: statSync(ref).mtime.toISOString(), showers: 400 });
    expect(p.reference.attributes).toMatchObject({ generator: 'calozoo-simulator', seed: 5 });
    expect(p.generated).toMatchObject({ source: 'file', path: gen, bytes: statSync(gen).size, showers: 300 });
    expect(p.model).toBe(model);
    expect(p.generator).toMatch(/^mean-shower@/);
    expect(p.seeds).toMatchObject({ 'reference file': 5, 'generated file': 9, 'single-shower choice': 1 });
    expect(Object.keys(p.versions)).toEqual(['@calozoo/metrics', '@calozoo/core', '@calozoo/cli']);
    expect(p.node).toBe(process.version);
    expect(p.backend).toMatch(/^none: no network ran/);
    expect(Date.now() - Date.parse(p.date)).toBeLessThan(600_000);
    expect(JSON.parse(e.stdout).provenance).toEqual(p);

    const html = readFileSync(path.join(report, 'index.html'), 'utf8');
    for (const s of [ref, gen, model, p.generator, 'generated file: 9', `@calozoo/cli ${p.versions['@calozoo/cli']}`, process.version, `calozoo evaluate --reference ${ref}`]) expect(html).toContain(s);
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
