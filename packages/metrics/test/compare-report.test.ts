/**
 * The side-by-side comparison report: its table holds each model's own numbers, every panel
 * overlays all models on the one reference, samples scored against different references are
 * refused, and the page passes the layout check in headless Chromium (screenshot kept under
 * CALOZOO_REPORT_SHOTS when set; skipped, and said so, without Chromium).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getGeometry } from '@calozoo/core';
import { comparisonRows, evaluate, evaluateMany, formatComparison, renderComparison, writeComparisonReport, type EvaluationOutput } from '../src/index.js';
import { CHROMIUM, pngInfo, runLayoutCheck, screenshot } from '@calozoo/core/testing';
import { toyShowers } from './toy-showers.js';

const reason = CHROMIUM ? `chromium at ${CHROMIUM}` : 'chromium not installed (apt-get install chromium): comparison report rendering NOT checked';
if (!CHROMIUM) console.warn(`compare-report.test.ts: ${reason}`);

describe(`comparison report (${reason})`, () => {
  const g = getGeometry('ds1-photons');
  const dir = mkdtempSync(join(tmpdir(), 'calozoo-compare-report-'));
  let outs: EvaluationOutput[];

  beforeAll(async () => {
    outs = await evaluateMany({
      reference: toyShowers(g, { n: 1500, seed: 1 }),
      generated: [
        { label: 'close model', source: toyShowers(g, { n: 1500, seed: 2, shift: 0.3 }) },
        { label: 'far model', source: toyShowers(g, { n: 1500, seed: 3, shift: 2 }) },
        { label: 'third model', source: toyShowers(g, { n: 1500, seed: 4, shift: 1 }) },
      ],
      geometry: g,
      modes: ['hist-chi', 'fpd', 'kpd'],
      fpd: { repetitions: 3, points: 5 },
      kpd: { batchSize: 500, batches: 3 },
    });
  }, 120_000);

  it('tabulates each model’s own numbers and overlays every model on the reference in each panel', async () => {
    const rows = comparisonRows(outs.map((o) => o.result));
    const row = (label: string) => rows.find((r) => r.label === label)!;
    expect(row('mean separation power').values).toEqual(outs.map((o) => o.result.summary!.meanSeparationPower));
    expect(row('FPD ×10³').values).toEqual(outs.map((o) => o.result.fpd!.value * 1e3));
    expect(row('S(E_dep/E_inc)').values).toEqual(outs.map((o) => o.result.observables.find((x) => x.name === 'E_dep/E_inc')!.separationPower));
    // the far model is farther than the close one on the headline numbers
    expect(row('mean separation power').values[1]!).toBeGreaterThan(row('mean separation power').values[0]!);
    const text = formatComparison(['close model', 'far model', 'third model'], [...rows, { label: 'parameters', values: [1234, null, 7], digits: 0 }]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^\s+close model {2}far model {2}third model$/);
    expect(lines.at(-1)).toMatch(/^parameters\s+1234\s+n\/a\s+7$/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1); // aligned columns

    const html = renderComparison(outs, { extraRows: [{ label: 'ms/shower, batch 1', values: [0.5, 0.25, null], digits: 3 }], links: ['close/index.html', undefined, 'third/index.html'] });
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('<a href="close/index.html">close model</a>');
    expect(html).toContain('ms/shower, batch 1');
    // every histogram panel draws the reference and three model lines, with three ratio groups
    const panel = html.slice(html.indexOf('<title>E_dep/E_inc</title>'));
    const svg = panel.slice(0, panel.indexOf('</svg>'));
    expect(svg.match(/<path class="data"/g)).toHaveLength(4);
    expect(svg.match(/<g class="data"/g)).toHaveLength(3);
    // legend labels are shortened to fit one row; the full name is the entry's tooltip
    for (const label of ['close model', 'far model', 'third model', 'reference']) expect(svg).toContain(`<title>${label}</title>`);

    const { json, html: file } = await writeComparisonReport(outs, join(dir, 'report'));
    expect(JSON.parse(readFileSync(json, 'utf8')).models).toEqual(['close model', 'far model', 'third model']);
    expect(existsSync(file)).toBe(true);
  });

  it('refuses results scored against different references', async () => {
    const other = await evaluate({ reference: toyShowers(g, { n: 700, seed: 9 }), generated: toyShowers(g, { n: 700, seed: 8 }), geometry: g, modes: ['hist-chi'] });
    expect(() => renderComparison([outs[0]!, other])).toThrow(/scored against another reference/);
    expect(() => renderComparison([])).toThrow(/no evaluation given/);
  });

  it.skipIf(!CHROMIUM)('renders in headless Chromium: a non-blank screenshot, no clipped text, legend overlap or label overlap', async () => {
    const { html: file } = await writeComparisonReport(outs, join(dir, 'shot'), { extraRows: [{ label: 'parameters', values: [10, 20, 30], digits: 0 }] });
    const png = join(dir, 'comparison.png');
    const err = screenshot(file, png, 1400, 2400);
    expect(existsSync(png), err).toBe(true);
    const info = pngInfo(readFileSync(png));
    expect([info.width, info.height]).toEqual([1400, 2400]);
    expect(info.colours).toBeGreaterThan(50);
    const shots = process.env.CALOZOO_REPORT_SHOTS;
    if (shots) {
      mkdirSync(shots, { recursive: true });
      copyFileSync(png, join(shots, 'comparison-report.png'));
    }
    const f = runLayoutCheck(readFileSync(file, 'utf8'), dir);
    expect(f.svgs).toBeGreaterThan(10);
    expect(f.clipped, JSON.stringify(f.clipped.slice(0, 5))).toEqual([]);
    expect(f.legendOverlaps, JSON.stringify(f.legendOverlaps.slice(0, 5))).toEqual([]);
    expect(f.textOverlaps, JSON.stringify(f.textOverlaps.slice(0, 5))).toEqual([]);
  }, 180_000);
});
