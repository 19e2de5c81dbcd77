/**
 * The HTML report rendered by headless Chromium: screenshots are real, non-blank PNGs, and an
 * in-page layout check finds no clipped text, no legend over plotted data and no overlapping
 * labels, for a CaloChallenge DS1 report (with FPD), a DS2 one and a grid one. The layout check
 * itself is shown to fail on deliberately broken SVGs. Without Chromium these tests are skipped
 * and say so. Set CALOZOO_REPORT_SHOTS=<dir> to keep the two DS1 screenshots.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getGeometry, writeShowerFile } from '@calozoo/core';
import { evaluate, type EvaluationOutput } from '../src/index.js';
import { renderReport } from '../src/report/write-report.js';
import { CHROMIUM, pngInfo, runLayoutCheck, screenshot, type LayoutFindings } from '@calozoo/core/testing';
import { toyShowers } from './toy-showers.js';

const reason = CHROMIUM ? `chromium at ${CHROMIUM}` : 'chromium not installed (apt-get install chromium): report rendering NOT checked';
if (!CHROMIUM) console.warn(`report.test.ts: ${reason}`);

function expectClean(f: LayoutFindings): void {
  expect(f.svgs).toBeGreaterThan(0);
  expect(f.texts).toBeGreaterThan(f.svgs);
  expect(f.clipped, JSON.stringify(f.clipped.slice(0, 5))).toEqual([]);
  expect(f.legendOverlaps, JSON.stringify(f.legendOverlaps.slice(0, 5))).toEqual([]);
  expect(f.textOverlaps, JSON.stringify(f.textOverlaps.slice(0, 5))).toEqual([]);
}

describe(`report layout check (${reason})`, () => {
  it.skipIf(!CHROMIUM)('flags clipped text, a legend over the data and overlapping labels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calozoo-layout-'));
    const html =
      '<!DOCTYPE html><html><body>' +
      '<svg width="120" height="60" viewBox="0 0 120 60"><title>clipped</title><text x="100" y="30" font-size="12">3.8e+05</text></svg>' +
      '<svg width="120" height="60" viewBox="0 0 120 60"><title>legend</title><path class="data" d="M10,10L110,50" stroke="#000"/><g class="legend"><text x="50" y="34" font-size="10">reference</text></g></svg>' +
      '<svg width="120" height="60" viewBox="0 0 120 60"><title>overlap</title><text x="10" y="30" font-size="10">0.001</text><text x="22" y="30" font-size="10">0.002</text></svg>' +
      '<svg width="120" height="60" viewBox="0 0 120 60"><title>fine</title><text x="10" y="30" font-size="10">ok</text><text x="60" y="30" font-size="10" text-anchor="end" transform="rotate(-90 60 30)">y</text></svg>' +
      '</body></html>';
    const f = runLayoutCheck(html, dir);
    expect(f.svgs).toBe(4);
    expect(f.clipped.map((c) => [c.svg, c.text])).toEqual([['clipped', '3.8e+05']]);
    expect(f.legendOverlaps.map((c) => c.svg)).toEqual(['legend']);
    expect(f.textOverlaps.map((c) => [c.a, c.b])).toEqual([['0.001', '0.002']]);
  });
});

describe(`HTML report in headless Chromium (${reason})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'calozoo-report-'));
  let ds1: EvaluationOutput;

  beforeAll(async () => {
    const g = getGeometry('ds1-photons');
    const ref = join(dir, 'toy-reference.h5');
    const gen = join(dir, 'toy-generated.h5');
    await writeShowerFile(ref, toyShowers(g, { n: 2000, seed: 1 }), { geometry: g, generator: 'toy-geant4-stand-in', seed: 1 });
    await writeShowerFile(gen, toyShowers(g, { n: 1800, seed: 2, shift: 1 }), { geometry: g, generator: 'toy-model@0.1.0', seed: 2, attributes: { model: '/models/toy-model' } });
    ds1 = await evaluate({
      reference: ref,
      generated: gen,
      geometry: g,
      modes: ['hist-chi', 'fpd'],
      fpd: { repetitions: 3, points: 5 },
      labels: { reference: 'toy reference (Geant4 stand-in)', generated: 'toy generated' },
      provenance: { commandLine: 'calozoo evaluate --reference ref.h5 --generated gen.h5 --out report', versions: { '@calozoo/cli': '0.0.0' } },
      outDir: join(dir, 'ds1'),
    });
  });

  it('the report is self-contained and carries provenance, images, per-energy panels and a radial profile', () => {
    const html = readFileSync(join(dir, 'ds1', 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link|<img|https?:\/\/|url\(/);
    for (const s of ['/models/toy-model', 'toy-model@0.1.0', 'toy-generated.h5', 'id="summary"', 'id="profiles"', 'id="energy"', 'id="images"', 'id="histograms"', 'id="correlations"', 'id="fpd"', 'Pearson ρ', 'MeV per voxel', 'Single showers', 'E_inc = 65.5 GeV', 'calozoo evaluate --reference ref.h5']) {
      expect(html).toContain(s);
    }
    expect(ds1.result.provenance.versions).toMatchObject({ '@calozoo/cli': '0.0.0' });
    expect(ds1.histograms.showers.reference).toHaveLength(3);
    expect(ds1.histograms.incidentEnergy).toHaveLength(15);
  });

  it.skipIf(!CHROMIUM)('DS1 report: screenshots are non-blank PNGs of the window size; no clipped text, legend overlap or label overlap', () => {
    const file = join(dir, 'ds1', 'index.html');
    const top = join(dir, 'report-top.png');
    const err = screenshot(file, top, 1400, 2200);
    expect(existsSync(top), err).toBe(true);
    // The second view: the same page with the sections before the images hidden.
    const lower = join(dir, 'ds1', 'images-and-histograms.html');
    writeFileSync(lower, readFileSync(file, 'utf8').replace('</head>', '<style>#summary,#profiles,#energy{display:none}</style></head>'));
    const images = join(dir, 'report-images.png');
    screenshot(lower, images, 1400, 3400);
    for (const [png, height] of [[top, 2200], [images, 3400]] as const) {
      const info = pngInfo(readFileSync(png));
      expect(info.width).toBe(1400);
      expect(info.height).toBe(height);
      expect(info.colours).toBeGreaterThan(50);
    }
    const shots = process.env.CALOZOO_REPORT_SHOTS;
    if (shots) {
      mkdirSync(shots, { recursive: true });
      copyFileSync(top, join(shots, 'report-top.png'));
      copyFileSync(images, join(shots, 'report-images-histograms.png'));
    }
    expectClean(runLayoutCheck(readFileSync(file, 'utf8'), dir));
  });

  it.skipIf(!CHROMIUM)('DS2 and grid reports pass the same layout check', async () => {
    for (const id of ['calochallenge-2', 'grid-12x10x10']) {
      const g = getGeometry(id);
      const out = await evaluate({ reference: toyShowers(g, { n: 300, seed: 3 }), generated: toyShowers(g, { n: 300, seed: 4, shift: 1 }), geometry: g, modes: ['hist-chi'] });
      expectClean(runLayoutCheck(renderReport(out.result, out.histograms), dir));
    }
  });
});
