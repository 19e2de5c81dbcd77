/**
 * Every observable, separation power, JSD, W1, correlation, μ90/σ90, cls-high feature, Fréchet
 * distance and MMD² against the independent NumPy/SciPy reference in tools/reference-metrics,
 * on HDF5 files written here (relative tolerance 1e-5, absolute floor 1e-9). Without Python the
 * comparison runs against fixtures of the reference's output checked in under test/fixtures/
 * (every summary number, and 8 rows of each per-shower matrix); with Python the reference runs
 * and the fixtures are checked against it (`CALOZOO_UPDATE_FIXTURES=1` rewrites them).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getGeometry, writeShowerFile, type Geometry } from '@calozoo/core';
import {
  FeatureExtractor,
  clsHighFeatures,
  column,
  compareCorrelations,
  datasetKind,
  defaultThreshold,
  evaluate,
  frechetDistance,
  linearityTable,
  meanCov,
  mmdPolyUnbiased,
  normaliseByReference,
  voxelEdges,
} from '../src/index.js';
import { toyShowers } from './toy-showers.js';

const here = dirname(fileURLToPath(import.meta.url));
const script = resolve(here, '../../../tools/reference-metrics/reference_metrics.py');
const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import numpy, h5py, scipy'], { encoding: 'utf8' });
// CALOZOO_REFERENCE=fixtures uses the fixtures even where Python is installed (what CI without Python sees).
const havePython = process.env['CALOZOO_REFERENCE'] !== 'fixtures' && probe.status === 0;
/** Rows of each sample's features and cls-high matrix kept in the checked-in fixtures. */
const FIXTURE_ROWS = 8;
/** `CALOZOO_UPDATE_FIXTURES=1` rewrites the fixtures from the NumPy reference (needs Python). */
const UPDATE = process.env['CALOZOO_UPDATE_FIXTURES'] === '1';
const fixtureFile = (id: string): string => resolve(here, 'fixtures', `reference-${id}.json`);

/** Rows kept in a fixture: FIXTURE_ROWS spread over n. */
const keptRows = (n: number): number[] => Array.from({ length: Math.min(n, FIXTURE_ROWS) }, (_, k) => Math.floor((k * n) / Math.min(n, FIXTURE_ROWS)));
const round = (x: unknown): unknown => (typeof x === 'number' ? Number(x.toPrecision(12)) : Array.isArray(x) ? x.map(round) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, round(v)])) : x);

/** The reference output reduced to what a fixture keeps (some rows of the per-shower matrices, every summary number). */
function reduce(out: Record<string, any>): Record<string, any> {
  const rowsOf = (col: number[]) => keptRows(col.length).map((i) => col[i]);
  const features = Object.fromEntries(['reference', 'generated'].map((k) => [k, Object.fromEntries(Object.entries(out.features[k] as Record<string, number[]>).map(([name, col]) => [name, rowsOf(col)]))]));
  const clsHigh = { dim: out.clsHigh.dim, rows: keptRows(out.clsHigh.reference.length), reference: keptRows(out.clsHigh.reference.length).map((i) => out.clsHigh.reference[i]) };
  return round({ ...out, features, clsHigh, reduced: true }) as Record<string, any>;
}

/**
 * The NumPy reference's output for a case: computed by Python when it is installed (and checked
 * against the fixture, so that a stale fixture fails), else read from the checked-in fixture.
 */
function referenceOutput(id: string, cfg: { out: string }, cfgFile: string): Record<string, any> {
  if (!havePython) return JSON.parse(readFileSync(fixtureFile(id), 'utf8'));
  const py = spawnSync(PY, [script, cfgFile], { encoding: 'utf8' });
  expect(py.status, py.stderr).toBe(0);
  const out = JSON.parse(readFileSync(cfg.out, 'utf8'));
  const reduced = reduce(out);
  if (UPDATE) writeFileSync(fixtureFile(id), JSON.stringify(reduced) + '\n');
  else {
    const fixture = JSON.parse(readFileSync(fixtureFile(id), 'utf8'));
    expect(Object.keys(fixture.observables).sort()).toEqual(Object.keys(reduced.observables).sort());
    for (const [name, r] of Object.entries(reduced.observables as Record<string, { S: number }>)) close(fixture.observables[name].S, r.S, `fixture ${id} S ${name}`);
    close(fixture.frechet, reduced.frechet, `fixture ${id} Fréchet distance`);
  }
  return out;
}

/**
 * Relative 1e-5 with an absolute floor: 1e-9 in general, 1e-6 for widths, whose formula
 * sqrt(max(0, Σx²E/S − EC²)) turns float64 cancellation into ~1e-8·r when a layer has one hit.
 */
function close(a: number, b: number, what: string, floor = /Width/.test(what) ? 1e-6 : 1e-9): void {
  const ok = Math.abs(a - b) <= 1e-5 * Math.max(Math.abs(a), Math.abs(b)) + floor || (Number.isNaN(a) && Number.isNaN(b));
  if (!ok) throw new Error(`${what}: calozoo ${a} vs reference ${b}`);
}

function geometrySpec(g: Geometry): unknown {
  if (g.kind === 'grid') return { kind: 'grid', shape: g.shape };
  return { kind: 'cylindrical', layers: g.layers.map((l) => ({ id: l.id, rEdges: l.rEdges, nAlpha: l.nAlpha })) };
}

async function runCase(id: string, n: number, checkPhysics: boolean): Promise<void> {
  const g = getGeometry(id);
  const dir = mkdtempSync(join(tmpdir(), 'calozoo-metrics-ref-'));
  const ref = toyShowers(g, { n, seed: 11 });
  const gen = toyShowers(g, { n: Math.round(n * 0.9), seed: 12, shift: 1 });
  await writeShowerFile(join(dir, 'ref.h5'), ref, { geometry: g });
  await writeShowerFile(join(dir, 'gen.h5'), gen, { geometry: g });
  const threshold = defaultThreshold(g);
  const cfg = { reference: join(dir, 'ref.h5'), generated: join(dir, 'gen.h5'), out: join(dir, 'out.json'), dataset: datasetKind(g), threshold, hitThreshold: threshold, geometry: geometrySpec(g) };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg));
  const out = referenceOutput(id, cfg, join(dir, 'cfg.json'));
  // A fixture keeps some rows of the per-shower matrices; Python gives them all.
  const rowsOf = (n: number): number[] => (out.reduced ? keptRows(n) : Array.from({ length: n }, (_, i) => i));

  // features, column by column
  const vmaxRef = out.voxelMax as number;
  const exR = new FeatureExtractor(g, { voxelEdges: voxelEdges(threshold, vmaxRef) });
  exR.consume(ref);
  const tr = exR.finish();
  const exG = new FeatureExtractor(g, { voxelEdges: voxelEdges(threshold, vmaxRef) });
  exG.consume(gen);
  const tg = exG.finish();
  close(tr.voxelMax, vmaxRef, 'voxel max');
  const names = tr.schema.names;
  expect(new Set(names)).toEqual(new Set(Object.keys(out.features.reference)));
  for (const [t, key] of [[tr, 'reference'], [tg, 'generated']] as const) {
    for (const name of names) {
      const a = column(t, name);
      const b = out.features[key][name] as number[];
      const rows = rowsOf(a.length);
      expect(rows.length).toBe(b.length);
      rows.forEach((r, k) => close(a[r]!, b[k]!, `${id} ${key} ${name}[${r}]`));
    }
  }

  // histograms through the file-streaming evaluate()
  const { result } = await evaluate({ reference: cfg.reference, generated: cfg.generated, geometry: g, modes: ['hist-chi'], chunkRows: 97 });
  expect(result.observables.map((o) => o.name).sort()).toEqual(Object.keys(out.observables).sort());
  for (const o of result.observables) {
    const r = out.observables[o.name];
    expect(o.bins, o.name).toBe(r.bins);
    close(o.separationPower, r.S, `${id} S ${o.name}`);
    if (r.jsd !== null) close(o.jsd, r.jsd, `${id} JSD ${o.name}`);
    if (r.w1 !== null) close(o.w1 as number, r.w1, `${id} W1 ${o.name}`);
  }

  // correlations and μ90
  const corr = compareCorrelations(tr, tg);
  expect(corr.names).toEqual(out.correlation.names);
  corr.reference.forEach((row, i) => row.forEach((v, j) => close(v, out.correlation.reference[i][j], `${id} corr ref ${i},${j}`)));
  corr.generated.forEach((row, i) => row.forEach((v, j) => close(v, out.correlation.generated[i][j], `${id} corr gen ${i},${j}`)));
  for (const row of linearityTable(tr, tg)) {
    const r = out.mu90[String(row.energy)];
    if (!r) continue;
    close(row.reference.linearity, r.mu90, `${id} mu90 @${row.energy}`);
    close(row.reference.resolution, r.sigma90 / r.mu90, `${id} sigma90/mu90 @${row.energy}`);
  }

  // cls-high features, Fréchet distance and MMD² on the full normalised samples
  const xr = clsHighFeatures(tr);
  expect(xr.d).toBe(out.clsHigh.dim);
  const clsRows = out.reduced ? (out.clsHigh.rows as number[]) : Array.from({ length: Math.ceil(xr.n / 7) }, (_, k) => 7 * k);
  clsRows.forEach((r, k) => {
    for (let j = 0; j < xr.d; j++) close(xr.data[r * xr.d + j]!, out.clsHigh.reference[out.reduced ? k : r][j], `${id} cls-high ${r},${j} ${xr.names[j]}`);
  });
  if (checkPhysics) {
    const [nr, ng] = normaliseByReference(xr, clsHighFeatures(tg));
    close(frechetDistance(meanCov(nr.data, nr.d), meanCov(ng.data, ng.d), nr.d), out.frechet, `${id} Fréchet distance`);
    const ir = Uint32Array.from({ length: nr.n }, (_, i) => i);
    const ig = Uint32Array.from({ length: ng.n }, (_, i) => i);
    close(mmdPolyUnbiased(nr.data, ir, ng.data, ig, nr.d, 'moments'), out.mmd, `${id} MMD² (moments)`);
    close(mmdPolyUnbiased(nr.data, ir, ng.data, ig, nr.d, 'direct'), out.mmd, `${id} MMD² (direct)`);
  }
}

describe(`agreement with the NumPy reference (tools/reference-metrics; ${havePython ? 'run now' : 'checked-in fixtures, Python absent'})`, () => {
  it('DS1 photons: features, separation powers, JSD, W1, correlations, μ90, FD, MMD²', () => runCase('ds1-photons', 3000, true));
  it('DS1 pions', () => runCase('ds1-pions', 1500, true));
  it('DS2 (45 layers, 6480 voxels)', () => runCase('calochallenge-2', 300, false));
  it('ILD ECAL grid 30×30×30', () => runCase('ild-ecal', 250, false));
});
