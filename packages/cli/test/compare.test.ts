/**
 * `calozoo compare` end to end: trains a toy plugin (or loads the shipped models), generates the
 * reference's conditions, scores every model against the same reference, and reuses what --out
 * holds on a second run. The table's numbers are checked against `calozoo evaluate` run on each
 * generated file alone (an independent pass over the reference). The shipped models' report is
 * rendered in headless Chromium (screenshot kept under CALOZOO_REPORT_SHOTS when set; skipped, and
 * said so, without Chromium).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { openShowerFile } from '@calozoo/core';
import { CHROMIUM, pngInfo, runLayoutCheck, screenshot } from '@calozoo/core/testing';
import { FIXTURE_PLUGIN, run, tmp } from './helpers.js';

let dir: string;
let train: string;
let reference: string;

beforeAll(async () => {
  dir = tmp('calozoo-compare-');
  train = path.join(dir, 'train.h5');
  reference = path.join(dir, 'ref.h5');
  for (const [file, n, seed] of [[train, 600, 1], [reference, 400, 2]] as const) {
    const r = await run(['simulate', '--geometry', 'ds1-photons', '--n', String(n), '--seed', String(seed), '--out', file]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);

type Table = { metric: string; [model: string]: number | null | string }[];
const chromiumReason = CHROMIUM ? `chromium at ${CHROMIUM}` : 'chromium not installed (apt-get install chromium): the compare report rendering is NOT checked';
if (!CHROMIUM) console.warn(`compare.test.ts: ${chromiumReason}`);
const row = (table: Table, metric: string): Table[number] => table.find((r) => r.metric === metric)!;

describe('calozoo compare', () => {
  it('trains each model into --out, scores them against one reference, and reuses everything on a second run', async () => {
    const out = path.join(dir, 'trained');
    const args = ['--plugin', FIXTURE_PLUGIN, '--json', 'compare', '--data', train, '--reference', reference, '--models', 'mean-shower', '--train-time', '60s', '--out', out, '--bench-batch', '1,10', '--bench-seconds', '0.05'];
    const first = await run(args);
    expect(first.code, first.stderr).toBe(0);
    const json = JSON.parse(first.stdout) as { table: Table; models: { name: string; generated: string; trainingSeconds: number; parameters: number }[]; showers: number };
    expect(json.showers).toBe(400);
    expect(existsSync(path.join(out, 'models', 'mean-shower', 'config.json'))).toBe(true);
    const f = await openShowerFile(json.models[0]!.generated);
    expect(f.n).toBe(400);
    f.close();
    expect(json.models[0]!.parameters).toBe(368); // the toy model's one mean per voxel
    expect(row(json.table, 'mean separation power')['mean-shower']).toBeGreaterThan(0);
    expect(row(json.table, 'ms/shower, batch 10')['mean-shower']).toBeGreaterThan(0);
    expect(existsSync(path.join(out, 'report', 'mean-shower', 'index.html'))).toBe(true);
    expect(readFileSync(path.join(out, 'report', 'index.html'), 'utf8')).toContain('calozoo comparison');
    expect(readFileSync(path.join(out, 'compare.txt'), 'utf8')).toMatch(/^\s+mean-shower\nmean separation power/);

    const second = await run(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/mean-shower: generated and benchmarked before .* reused/);
    expect(second.stderr).not.toMatch(/training on/);
    const again = JSON.parse(second.stdout) as { table: Table };
    expect(row(again.table, 'FPD ×10³')).toEqual(row(json.table, 'FPD ×10³'));
  }, 300_000);

  it('--pretrained puts the shipped models side by side; each column equals `calozoo evaluate` of that file alone', async () => {
    const out = path.join(dir, 'shipped');
    const r = await run(['--json', 'compare', '--reference', reference, '--models', 'caloman,wgan-gp', '--pretrained', '--out', out, '--bench-batch', '1,100', '--bench-seconds', '0.05']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { table: Table; models: { name: string; generated: string; pretrained: boolean; trainingSeconds: number | null }[] };
    expect(json.models.map((m) => [m.name, m.pretrained])).toEqual([['caloman', true], ['wgan-gp', true]]);
    expect(json.models.every((m) => (m.trainingSeconds ?? 0) > 0)).toBe(true);
    for (const m of json.models) {
      const e = await run(['--json', 'evaluate', '--reference', reference, '--generated', m.generated]);
      expect(e.code, e.stderr).toBe(0);
      const alone = JSON.parse(e.stdout) as { summary: { meanSeparationPower: number }; fpd: { value: number }; kpd: { value: number } };
      expect(row(json.table, 'mean separation power')[m.name]).toBeCloseTo(alone.summary.meanSeparationPower, 12);
      expect(row(json.table, 'FPD ×10³')[m.name]).toBeCloseTo(alone.fpd.value * 1e3, 9);
      expect(row(json.table, 'KPD ×10³')[m.name]).toBeCloseTo(alone.kpd.value * 1e3, 9);
    }
  }, 300_000);

  it.skipIf(!CHROMIUM)(`the shipped models' report renders in headless Chromium: a non-blank screenshot, no clipped text or overlaps (${chromiumReason})`, () => {
    const out = path.join(dir, 'shipped');
    const file = path.join(out, 'report', 'index.html');
    expect(existsSync(file), 'run with the --pretrained case above').toBe(true);
    const html = readFileSync(file, 'utf8');
    for (const name of ['caloman', 'wgan-gp']) expect(html).toContain(name);
    const png = path.join(dir, 'cli-compare.png');
    const err = screenshot(file, png, 1400, 2400);
    expect(existsSync(png), err).toBe(true);
    const info = pngInfo(readFileSync(png));
    expect([info.width, info.height]).toEqual([1400, 2400]);
    expect(info.colours).toBeGreaterThan(50);
    const shots = process.env['CALOZOO_REPORT_SHOTS'];
    if (shots) {
      mkdirSync(shots, { recursive: true });
      copyFileSync(png, path.join(shots, 'cli-compare-report.png'));
    }
    const f = runLayoutCheck(html, dir);
    expect(f.svgs).toBeGreaterThan(10);
    expect(f.clipped, JSON.stringify(f.clipped.slice(0, 5))).toEqual([]);
    expect(f.legendOverlaps, JSON.stringify(f.legendOverlaps.slice(0, 5))).toEqual([]);
    expect(f.textOverlaps, JSON.stringify(f.textOverlaps.slice(0, 5))).toEqual([]);
  }, 180_000);

  it('says what is missing: no --data without --pretrained, unknown plugins, a shipped model for another geometry', async () => {
    const cases: [string[], RegExp][] = [
      [['compare', '--reference', reference, '--models', 'caloman'], /give --data train\.h5 to train the models, or --pretrained/],
      [['compare', '--reference', reference, '--models', 'no-such-model', '--pretrained'], /"no-such-model" is not registered/],
      [['compare', '--reference', reference, '--models', 'caloman,caloman', '--pretrained'], /--models: a name is repeated/],
      [['compare', '--reference', reference, '--models', 'gan', '--pretrained', '--out', path.join(dir, 'gan')], /gan ships no trained model for calochallenge-1-photons/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
  }, 120_000);
});
