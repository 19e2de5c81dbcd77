#!/usr/bin/env node
/**
 * The ILD 30³ photon physics checks of issues #22 and #23 (field-reference.md §5.3), generated
 * against simulated showers, per band of incident energy: linearity (μ90 of E_vis / E_inc),
 * resolution (σ90/μ90 of E_vis / E_inc) and the mean n_hit, after the 0.1 MeV MIP cut of §5.1. Prints a
 * table with the ratios generated / reference and whether each meets the target
 * (linearity within 2 %, resolution within 20 %, n_hit within 10 %), and the mean number of cells
 * with a deposit below the cut (the MIP-like cells a generator may put just under it; no target);
 * `--json` prints the rows.
 *
 *   node tools/ild-physics.mjs --reference test.h5 --generated gen.h5 [--cut 0.1] [--bands 10,25,40,55,70,85,100] [--json]
 *
 * Build the packages first (`npx nx run-many -t build`).
 */
import { parseArgs } from 'node:util';
import { openShowerFile } from '@calozoo/core';
import { mu90 } from '@calozoo/metrics';

const { values: a } = parseArgs({
  options: {
    reference: { type: 'string' }, generated: { type: 'string' }, cut: { type: 'string', default: '0.1' },
    bands: { type: 'string', default: '10,25,40,55,70,85,100' }, json: { type: 'boolean', default: false },
  },
});
if (!a.reference || !a.generated) {
  console.error('usage: node tools/ild-physics.mjs --reference REF.h5 --generated GEN.h5 [--cut MeV] [--bands GeV,…] [--json]');
  process.exit(2);
}
const cut = Number(a.cut);
const edges = a.bands.split(',').map(Number);

/** Per shower: E_inc (GeV), E_vis (MeV) and n_hit after the cut, read in blocks. */
async function perShower(file) {
  const f = await openShowerFile(file);
  const out = { energy: new Float64Array(f.n), evis: new Float64Array(f.n), nhit: new Float64Array(f.n), below: new Float64Array(f.n) };
  const block = 500;
  for (let s = 0; s < f.n; s += block) {
    const t = Math.min(f.n, s + block);
    const sh = f.readRange(s, t);
    for (let i = 0; i < t - s; i++) {
      let e = 0;
      let n = 0;
      let below = 0;
      for (let v = i * f.voxels; v < (i + 1) * f.voxels; v++) {
        const x = sh.values[v];
        if (x >= cut) {
          e += x;
          n++;
        } else if (x > 0) below++;
      }
      out.below[s + i] = below;
      out.energy[s + i] = sh.energy[i] / 1000;
      out.evis[s + i] = e;
      out.nhit[s + i] = n;
    }
  }
  f.close();
  return out;
}

/**
 * μ90 and σ90/μ90 of E_vis/E_inc (per shower, so that the spread of E_inc within a band does not
 * widen the distribution), the mean n_hit and the mean number of cells below the cut of the showers
 * with E_inc in [lo, hi) GeV.
 */
function band(d, lo, hi) {
  const idx = [];
  for (let i = 0; i < d.energy.length; i++) if (d.energy[i] >= lo && d.energy[i] < hi) idx.push(i);
  const m = mu90(Float64Array.from(idx, (i) => d.evis[i] / (d.energy[i] * 1000)));
  const mean = (a) => idx.reduce((s, i) => s + a[i], 0) / Math.max(1, idx.length);
  return { n: idx.length, linearity: m.mu90, resolution: m.sigma90 / m.mu90, nhit: mean(d.nhit), below: mean(d.below) };
}

const ref = await perShower(a.reference);
const gen = await perShower(a.generated);
const rows = [];
for (let k = 0; k + 1 < edges.length; k++) {
  const r = band(ref, edges[k], edges[k + 1]);
  const g = band(gen, edges[k], edges[k + 1]);
  rows.push({
    band: `${edges[k]}–${edges[k + 1]}`, reference: r, generated: g,
    linearityRatio: g.linearity / r.linearity, resolutionRatio: g.resolution / r.resolution, nhitRatio: g.nhit / r.nhit,
  });
}
if (a.json) {
  console.log(JSON.stringify({ cut, rows }, null, 2));
} else {
  const ok = (x, tol) => (Math.abs(x - 1) <= tol ? '✓' : '✗');
  console.log(`cells ≥ ${cut} MeV; reference ${a.reference}, generated ${a.generated}`);
  console.log(`| E_inc (GeV) | n ref / gen | μ90(E_vis)/E_inc ref / gen | ratio (±2 %) | σ90/μ90 ref / gen | ratio (±20 %) | n_hit ref / gen | ratio (±10 %) | cells in (0, ${cut}) ref / gen |`);
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const { reference: x, generated: y } = r;
    console.log(`| ${r.band} | ${x.n} / ${y.n} | ${x.linearity.toFixed(4)} / ${y.linearity.toFixed(4)} | ${r.linearityRatio.toFixed(3)} ${ok(r.linearityRatio, 0.02)} | ${x.resolution.toFixed(4)} / ${y.resolution.toFixed(4)} | ${r.resolutionRatio.toFixed(2)} ${ok(r.resolutionRatio, 0.2)} | ${x.nhit.toFixed(0)} / ${y.nhit.toFixed(0)} | ${r.nhitRatio.toFixed(3)} ${ok(r.nhitRatio, 0.1)} | ${x.below.toFixed(0)} / ${y.below.toFixed(0)} |`);
  }
}
