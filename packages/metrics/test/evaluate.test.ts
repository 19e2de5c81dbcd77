/**
 * evaluate(): identical samples give zero distances, shifted samples do not, the result is JSON
 * serialisable, file and memory sources agree, and the HTML report renders in headless Chromium.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { getGeometry, writeShowerFile } from '@calozoo/core';
import { evaluate, formatTable, type EvaluateProgress } from '../src/index.js';
import { toyShowers } from './toy-showers.js';

const g = getGeometry('ds1-photons');
const a = toyShowers(g, { n: 2000, seed: 1 });
const b = toyShowers(g, { n: 1800, seed: 2, shift: 2 });

/** Decodes an 8-bit RGB(A) PNG and returns the number of distinct pixel colours (capped). */
function distinctColours(png: Buffer, cap = 50): number {
  let o = 8;
  let w = 0, h = 0, ct = 0;
  const idat: Buffer[] = [];
  while (o < png.length) {
    const len = png.readUInt32BE(o);
    const type = png.toString('ascii', o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      w = data.readUInt32BE(0);
      h = data.readUInt32BE(4);
      ct = data[9];
    } else if (type === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  const bpp = ct === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = w * bpp;
  const out = Buffer.alloc(h * stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const left = x >= bpp ? out[y * stride + x - bpp] : 0;
      const up = y > 0 ? out[(y - 1) * stride + x] : 0;
      const ul = x >= bpp && y > 0 ? out[(y - 1) * stride + x - bpp] : 0;
      let p = 0;
      if (f === 1) p = left;
      else if (f === 2) p = up;
      else if (f === 3) p = (left + up) >> 1;
      else if (f === 4) {
        const q = left + up - ul;
        const pa = Math.abs(q - left), pb = Math.abs(q - up), pc = Math.abs(q - ul);
        p = pa <= pb && pa <= pc ? left : pb <= pc ? up : ul;
      }
      out[y * stride + x] = (v + p) & 255;
    }
  }
  const seen = new Set<number>();
  for (let i = 0; i < out.length && seen.size < cap; i += bpp) seen.add((out[i] << 16) | (out[i + 1] << 8) | out[i + 2]);
  return seen.size;
}

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

  it('files and memory give the same numbers; result round-trips through JSON; report renders', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'calozoo-metrics-eval-'));
    await writeShowerFile(join(dir, 'a.h5'), a, { geometry: g });
    await writeShowerFile(join(dir, 'b.h5'), b, { geometry: g });
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

    const chromium = '/usr/bin/chromium';
    // Without Chromium the rendering cannot be checked: the test reports itself skipped.
    if (!existsSync(chromium)) ctx.skip();
    const png = join(dir, 'shot.png');
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync',
      `--user-data-dir=${mkdtempSync(join(tmpdir(), 'calozoo-chromium-'))}`, `--screenshot=${png}`, '--window-size=1200,2000', `file://${join(dir, 'report', 'index.html')}`];
    const run = spawnSync(chromium, args, { encoding: 'utf8', timeout: 90_000 });
    expect(existsSync(png), run.stderr).toBe(true);
    expect(distinctColours(readFileSync(png))).toBeGreaterThan(5);
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
