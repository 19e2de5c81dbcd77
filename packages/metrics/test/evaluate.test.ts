/**
 * evaluate(): identical samples give zero distances, shifted samples do not, the result is JSON
 * serialisable, file and memory sources agree, and the provenance names the files and their
 * attributes (rendering in headless Chromium: report.test.ts).
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getGeometry, writeShowerFile } from '@calozoo/core';
import { evaluate, evaluateMany, formatTable, type EvaluateProgress } from '../src/index.js';
import { toyShowers } from './toy-showers.js';

const g = getGeometry('ds1-photons');
const a = toyShowers(g, { n: 2000, seed: 1 });
const b = toyShowers(g, { n: 1800, seed: 2, shift: 2 });

describe('evaluate', () => {
  it('identical samples: every separation power, JSD and W1 is 0; FPD and KPD near 0', async () => {
    const { result } = await evaluate({ reference: a, generated: a, geometry: 'ds1-photons', fpd: { repetitions: 4 }, kpd: { batchSize: 500, batches: 4 } });
    expect(result.observables.length).toBeGreaterThan(40);
    for (const o of result.observables) {
      expect(o.separationPower, o.name).toBe(0);
      expect(o.jsd, o.name).toBe(0);
      if (o.w1 !== null) expect(o.w1, o.name).toBe(0);
    }
    expect(result.correlation?.sumAbsDifference).toBe(0);
    expect(Math.abs(result.kpd!.value)).toBeLessThan(1e-3);
    expect(result.fpd!.value).toBeLessThan(1e-2);
  });

  it('files and memory give the same numbers; result round-trips through JSON; report renders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calozoo-metrics-eval-'));
    await writeShowerFile(join(dir, 'a.h5'), a, { geometry: g });
    await writeShowerFile(join(dir, 'b.h5'), b, { geometry: g, generator: 'test-plugin@1.2.3', seed: 7, attributes: { model: '/models/test' } });
    const stages = new Set<string>();
    const onProgress = (p: EvaluateProgress): void => void stages.add(p.stage);
    const opts = { modes: ['hist-chi'] as const, geometry: g };
    const mem = await evaluate({ ...opts, reference: a, generated: b });
    const file = await evaluate({ ...opts, reference: join(dir, 'a.h5'), generated: join(dir, 'b.h5'), chunkRows: 300, onProgress, outDir: join(dir, 'report') });
    expect([...stages]).toEqual(expect.arrayContaining(['reference', 'generated', 'reference-voxels', 'hist-chi', 'report']));
    expect(file.result.observables).toEqual(mem.result.observables);
    expect(file.result.summary!.meanSeparationPower).toBeGreaterThan(0.01);
    expect(JSON.parse(readFileSync(join(dir, 'report', 'metrics.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(file.result)));
    const html = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('EC_eta[1]');
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(formatTable(file.result)).toMatch(/mean separation power/);
    const p = file.result.provenance;
    expect(p.reference).toMatchObject({ source: 'file', path: join(dir, 'a.h5'), bytes: statSync(join(dir, 'a.h5')).size, showers: a.n });
    expect(p.generated.modified).toBe(statSync(join(dir, 'b.h5')).mtime.toISOString());
    expect(p.generated.attributes).toMatchObject({ generator: 'test-plugin@1.2.3', seed: 7, model: '/models/test', geometry: g.id });
    expect(p).toMatchObject({ generator: 'test-plugin@1.2.3', model: '/models/test', node: process.version, backend: expect.stringMatching(/^none/) });
    expect(p.seeds).toEqual({ 'generated file': 7, 'single-shower choice': 1 });
    expect(Object.keys(p.versions)).toEqual(['@calozoo/metrics', '@calozoo/core']);
    expect(mem.result.provenance.reference).toEqual({ source: 'memory', showers: a.n });
    for (const k of ['/models/test', 'test-plugin@1.2.3', join(dir, 'b.h5'), 'generated file: 7']) expect(html).toContain(k);
  });

  it('marks histograms without entries in one sample as NaN (null in JSON) and leaves them out of the summary', async () => {
    const only256 = { ...b, energy: new Float32Array(b.n).fill(256) };
    const { result } = await evaluate({ reference: a, generated: only256, geometry: g, modes: ['hist-chi'] });
    const per = result.observables.filter((o) => o.group === 'E_dep/E_inc per energy');
    expect(per.find((o) => o.name === 'E_dep/E_inc@256MeV')!.separationPower).toBeGreaterThan(0);
    expect(per.find((o) => o.name === 'E_dep/E_inc@1024MeV')!.separationPower).toBeNaN();
    expect(Number.isFinite(result.summary!.meanSeparationPower)).toBe(true);
    expect(JSON.parse(JSON.stringify(result)).observables.find((o: { name: string }) => o.name === 'E_dep/E_inc@1024MeV').jsd).toBeNull();
  });

  it('rejects unknown modes and mismatched geometries', async () => {
    await expect(evaluate({ reference: a, generated: a, geometry: g, modes: ['cls-magic' as never] })).rejects.toThrow(/unknown evaluation mode/);
    await expect(evaluate({ reference: a, generated: a, geometry: 'ds1-pions' })).rejects.toThrow(/533/);
  });
});

describe('evaluateMany', () => {
  // Timing and date differ between runs; classifier training is not bit-reproducible on every backend.
  const strip = (r: { timing: unknown; classifier?: unknown; provenance: { date?: string } }): unknown => ({ ...r, timing: undefined, classifier: undefined, provenance: { ...r.provenance, date: undefined } });

  it('gives each sample what evaluate gives it alone, reading the reference file once (twice without its voxel maximum)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calozoo-metrics-many-'));
    const c = toyShowers(g, { n: 1500, seed: 3, shift: 1 });
    await writeShowerFile(join(dir, 'a.h5'), a, { geometry: g });
    await writeShowerFile(join(dir, 'c.h5'), c, { geometry: g });
    const opts = { geometry: g, modes: ['hist-chi', 'fpd', 'kpd', 'cls-low'] as const, chunkRows: 250, fpd: { repetitions: 3 }, kpd: { batchSize: 500, batches: 3 }, classifier: { protocol: 'fast' as const, seed: 5 } };
    const refPasses: number[] = [];
    const many = await evaluateMany({
      ...opts,
      reference: join(dir, 'a.h5'),
      generated: [{ label: 'model-b', source: b }, { label: 'model-c', source: join(dir, 'c.h5') }],
      onSampleProgress: (i, p) => {
        if ((p.stage === 'reference' || p.stage === 'reference-voxels') && p.done === p.total) refPasses.push(i);
      },
    });
    expect(refPasses).toEqual([-1, -1]); // the feature pass and the voxel-spectrum pass, before any sample
    expect(many.map((m) => m.result.labels.generated)).toEqual(['model-b', 'model-c']);
    const alone = [
      await evaluate({ ...opts, reference: join(dir, 'a.h5'), generated: b, labels: { generated: 'model-b' } }),
      await evaluate({ ...opts, reference: join(dir, 'a.h5'), generated: join(dir, 'c.h5'), labels: { generated: 'model-c' } }),
    ];
    for (let i = 0; i < 2; i++) {
      expect(strip(many[i]!.result)).toEqual(strip(alone[i]!.result));
      expect(many[i]!.histograms).toEqual(alone[i]!.histograms);
      expect(many[i]!.result.classifier!['cls-low']!.auc).toBeCloseTo(alone[i]!.result.classifier!['cls-low']!.auc, 1);
      expect(many[i]!.result.timing.reference_s).toBe(many[0]!.result.timing.reference_s);
    }
    // the two samples really differ (c is shifted less than b)
    expect(many[1]!.result.summary!.meanSeparationPower).not.toBe(many[0]!.result.summary!.meanSeparationPower);
    await expect(evaluateMany({ ...opts, reference: a, generated: [] })).rejects.toThrow(/no generated sample/);
  }, 120_000);
});
