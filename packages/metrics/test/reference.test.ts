/**
 * Every observable, separation power, JSD, W1, correlation, μ90/σ90, cls-high feature, Fréchet
 * distance and MMD² against the independent NumPy/SciPy reference in tools/reference-metrics,
 * on HDF5 files written here (relative tolerance 1e-5, absolute floor 1e-9).
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
const havePython = probe.status === 0;
if (!havePython) console.warn(`SKIPPED reference comparison: ${PY} lacks numpy/h5py/scipy (${probe.stderr || probe.error})`);

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
  const py = spawnSync(PY, [script, join(dir, 'cfg.json')], { encoding: 'utf8' });
  expect(py.status, py.stderr).toBe(0);
  const out = JSON.parse(readFileSync(cfg.out, 'utf8'));

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
      expect(a.length).toBe(b.length);
      for (let i = 0; i < a.length; i++) close(a[i], b[i], `${id} ${key} ${name}[${i}]`);
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
  for (let r = 0; r < xr.n; r += 7) for (let j = 0; j < xr.d; j++) close(xr.data[r * xr.d + j], out.clsHigh.reference[r][j], `${id} cls-high ${r},${j} ${xr.names[j]}`);
  if (checkPhysics) {
    const [nr, ng] = normaliseByReference(xr, clsHighFeatures(tg));
    close(frechetDistance(meanCov(nr.data, nr.d), meanCov(ng.data, ng.d), nr.d), out.frechet, `${id} Fréchet distance`);
    const ir = Uint32Array.from({ length: nr.n }, (_, i) => i);
    const ig = Uint32Array.from({ length: ng.n }, (_, i) => i);
    close(mmdPolyUnbiased(nr.data, ir, ng.data, ig, nr.d, 'moments'), out.mmd, `${id} MMD² (moments)`);
    close(mmdPolyUnbiased(nr.data, ir, ng.data, ig, nr.d, 'direct'), out.mmd, `${id} MMD² (direct)`);
  }
}

describe.skipIf(!havePython)('agreement with the NumPy reference (tools/reference-metrics)', () => {
  it('DS1 photons: features, separation powers, JSD, W1, correlations, μ90, FD, MMD²', () => runCase('ds1-photons', 3000, true));
  it('DS1 pions', () => runCase('ds1-pions', 1500, true));
  it('DS2 (45 layers, 6480 voxels)', () => runCase('calochallenge-2', 300, false));
  it('ILD ECAL grid 30×30×30', () => runCase('ild-ecal', 250, false));
});
