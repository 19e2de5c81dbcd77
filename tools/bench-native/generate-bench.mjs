/**
 * What the generation benchmarks of the conv models share (packages/wgan/bench,
 * packages/bib-ae/bench): command-line options, the §2.6 timing of `generate`, the PyTorch mirror
 * run at its fastest OpenMP wait policy, and the speed table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** `opt(name, default)` and `flag(name)` over `--name value` / `--name` arguments. */
export function benchArgs(args = process.argv.slice(2)) {
  return {
    args,
    opt: (name, dflt) => {
      const i = args.indexOf(`--${name}`);
      return i >= 0 ? args[i + 1] : dflt;
    },
    flag: (name) => args.includes(`--${name}`),
  };
}

/** Mean of an array. */
export const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
/** Sample standard deviation (0 for fewer than two values). */
export function std(a) {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / (a.length - 1));
}
/** Three significant digits, at most one decimal above 10. */
export const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(3));
const log = (...a) => console.error(...a);

/**
 * ms/shower of `model.generate` at each batch size (showers at 50 GeV): a warm-up call, then calls
 * for `seconds`; a batch of 10 000 or more is one call, after the smaller batches warmed the same
 * network calls.
 */
export async function timeGenerate(model, runtime, batches, { seconds, threads }) {
  const rows = [];
  for (const b of batches) {
    const energy = new Float32Array(b).fill(50_000);
    const call = async (seed) => {
      const t0 = performance.now();
      await model.generate({ energy }, { seed, runtime, threads });
      return (performance.now() - t0) / b;
    };
    if (b < 10_000) await call(1);
    const times = [];
    const end = performance.now() + seconds * 1000;
    do times.push(await call(times.length + 2));
    while (b < 10_000 && performance.now() < end);
    rows.push({ batch: b, msPerShower: mean(times), std: std(times), calls: times.length });
    log(`  ${runtime} batch ${b}: ${fmt(mean(times))} ms/shower (${times.length} calls)`);
  }
  return rows;
}

/**
 * Runs a PyTorch mirror script (`/usr/bin/python3 script dir --check file --threads --seconds
 * --batches --json … extra`) at its fastest setting: libgomp's default wait policy and PASSIVE are
 * both tried on the batches below 10 000, and the faster at the largest of them runs the larger
 * batches (`--torch-large false` skips those). Returns { version, check, policy, policies, rows,
 * json } (the last JSON printed by the faster run), or null when the mirror failed or torch is missing.
 */
export function runTorchMirror({ script, dir, checkFile, out, tag, threads, seconds, batches, extra = [], large = true }) {
  const mirror = (policy, bs) => torchOnce({ script, dir, checkFile, out, tag, threads, seconds, extra }, policy, bs);
  const small = batches.filter((b) => b < 10_000);
  const runs = small.length ? ['default', 'passive'].map((policy) => ({ policy, t: mirror(policy, small) })).filter((x) => x.t) : [];
  const last = (x) => x.t.rows[x.t.rows.length - 1].msPerShower;
  const chosen = runs.length ? runs.reduce((a, b) => (last(b) < last(a) ? b : a)) : { policy: 'default', t: null };
  const big = batches.filter((b) => b >= 10_000);
  const bigRun = big.length && large ? mirror(chosen.policy, big) : null;
  const t = chosen.t ?? bigRun;
  if (!t) {
    log('  PyTorch mirror failed or is not installed (apt-get install python3-torch libopenblas0-pthread): no ratio column');
    return null;
  }
  const rows = torchRows({ policies: Object.fromEntries(runs.map((x) => [x.policy, x.t.rows])), large: bigRun?.rows ?? [], policy: chosen.policy });
  log(`  pytorch (faster wait policy per batch): ${rows.map((row) => `batch ${row.batch} ${fmt(row.msPerShower)}`).join(', ')} ms/shower; check max |Δ| ${t.check.maxAbsDiff.toExponential(2)} of max |y| ${t.check.maxAbs.toExponential(2)}`);
  if (!(t.check.maxAbs > 0)) log('  the check compared zeros only: it checks nothing');
  return { version: t.torch, check: t.check, policy: chosen.policy, policies: Object.fromEntries(runs.map((x) => [x.policy, x.t.rows])), large: bigRun?.rows ?? [], rows, json: t };
}

/** One run of a PyTorch mirror script at wait policy `policy` over `batches`: its JSON, or null when it failed. */
function torchOnce({ script, dir, checkFile, out, tag, threads, seconds, extra = [] }, policy, batches, suffix = '') {
  const json = path.join(out, `torch-${tag}-${policy}-${batches.join('_')}${suffix}.json`);
  const env = { ...process.env, ...(policy === 'passive' ? { OMP_WAIT_POLICY: 'PASSIVE' } : {}) };
  const r = spawnSync('/usr/bin/python3', [script, dir, '--check', checkFile, '--threads', String(threads), '--seconds', String(seconds), '--batches', batches.join(','), '--json', json, ...extra], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return r.status === 0 && existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : null;
}

/** The median of an array (the mean of the middle two for an even length). */
export function median(a) {
  const b = [...a].sort((x, y) => x - y);
  return b.length % 2 ? b[(b.length - 1) / 2] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2;
}

/**
 * ONNX Runtime's `generate` of `model` and the PyTorch mirror (`mirror`: runTorchMirror's
 * arguments; both wait policies each round, the faster per batch) alternated in `rounds` rounds over
 * the batches below 10 000, each runtime for `timing.seconds` per batch, the order swapped every
 * round, so that a shared machine's drifting speed hits both alike. Per batch: the rounds' times,
 * their medians and the median, least and largest of the per-round ratios PyTorch ÷ ONNX Runtime.
 */
export async function interleavedRounds({ model, batches, rounds, timing, mirror }) {
  const small = batches.filter((b) => b < 10_000);
  const rows = small.map((batch) => ({ batch, onnx: [], torch: [], ratio: [] }));
  for (let r = 0; r < rounds; r++) {
    const timeOrt = async () => timeGenerate(model, 'onnx', small, timing);
    const timeTorch = () => {
      const runs = ['default', 'passive'].map((p) => torchOnce(mirror, p, small, `-round${r + 1}`)?.rows);
      if (runs.some((x) => !x)) return null;
      return small.map((_, i) => ({ msPerShower: Math.min(runs[0][i].msPerShower, runs[1][i].msPerShower) }));
    };
    let ort;
    let torch;
    if (r % 2 === 0) {
      ort = await timeOrt();
      torch = timeTorch();
    } else {
      torch = timeTorch();
      ort = await timeOrt();
    }
    if (!torch) throw new Error(`interleaved round ${r + 1}: the PyTorch mirror failed`);
    rows.forEach((row, i) => {
      row.onnx.push(ort[i].msPerShower);
      row.torch.push(torch[i].msPerShower);
      row.ratio.push(torch[i].msPerShower / ort[i].msPerShower);
    });
    log(`  round ${r + 1}: ${rows.map((row) => `batch ${row.batch} PyTorch ÷ ONNX Runtime ${row.ratio[r].toFixed(2)}`).join(', ')}`);
  }
  return rows.map((row) => ({ ...row, onnxMedianMs: median(row.onnx), torchMedianMs: median(row.torch), ratioMedian: median(row.ratio), ratioMin: Math.min(...row.ratio), ratioMax: Math.max(...row.ratio) }));
}

/** Markdown lines of interleaved rounds per generator (`entries`: { label, interleaved }). */
export function interleavedTable(entries, { rounds, seconds }) {
  const withRounds = entries.filter((e) => e.interleaved?.length);
  if (!withRounds.length) return [];
  return [
    `Interleaved rounds (the ratio to trust on a shared machine): ${rounds} rounds of ONNX Runtime and PyTorch (both wait policies, the faster per batch) alternated, ${seconds} s per runtime, policy and batch, the order swapped every round; medians over the rounds, the ratio as the median of the per-round ratios [least – largest].`,
    '',
    '| generator | batch | ONNX Runtime ms/shower (median) | PyTorch ms/shower (median) | PyTorch ÷ ONNX Runtime |',
    '|---|---|---|---|---|',
    ...withRounds.flatMap((e) => e.interleaved.map((r) => `| ${e.label} | ${r.batch} | ${fmt(r.onnxMedianMs)} | ${fmt(r.torchMedianMs)} | **${r.ratioMedian.toFixed(2)}** [${r.ratioMin.toFixed(2)} – ${r.ratioMax.toFixed(2)}] |`)),
    '',
  ];
}

/**
 * PyTorch's rows at its fastest setting: per batch below 10 000 the faster of the wait policies
 * (row.policy says which), then the large batches, run with `policy` (the faster at the largest
 * smaller batch).
 */
export function torchRows({ policies, large, policy }) {
  const names = Object.keys(policies);
  const small = names.length ? policies[names[0]].map((row) => row.batch) : [];
  const best = small.map((b) => names.map((p) => ({ ...policies[p].find((r) => r.batch === b), policy: p })).reduce((a, c) => (c.msPerShower < a.msPerShower ? c : a)));
  return [...best, ...large.map((r) => ({ ...r, policy }))];
}

/** "PyTorch's OpenMP wait policies (default: a / b ms; passive: c / d ms at batch 1 / 100; the faster per batch is used, batch 10 000 with X)". */
export function policyNote(torch, batches) {
  const big = batches.some((b) => b >= 10_000) && torch.large?.length ? `; batch ${batches.filter((b) => b >= 10_000).join(' / ')} ran with ${torch.policy}, the faster at the largest smaller batch` : '';
  return `PyTorch's OpenMP wait policies (${Object.entries(torch.policies).map(([p, rows]) => `${p}: ${rows.map((r) => fmt(r.msPerShower)).join(' / ')} ms`).join('; ')} at batch ${batches.filter((b) => b < 10_000).join(' / ')}; each batch's row takes the faster${big})`;
}

/**
 * The speed table: one row per (entry, runtime, batch) with ms/shower, core·ms, the PyTorch ratio,
 * GFLOP/s and % of peak. Entries are { label, flops, runtimes: { name: rows } }.
 */
export function speedTable(entries, { threads, peakFlops }) {
  const lines = ['| generator | batch | runtime | ms/shower (mean ± std) | core·ms/shower | PyTorch ÷ this | GFLOP/s | % of peak |', '|---|---|---|---|---|---|---|---|'];
  for (const e of entries) {
    const tk = Object.keys(e.runtimes).find((k) => k.startsWith('pytorch'));
    for (const [runtime, rows] of Object.entries(e.runtimes)) {
      for (const row of rows) {
        const torch = tk ? e.runtimes[tk].find((x) => x.batch === row.batch) : undefined;
        const gflops = e.flops / (row.msPerShower * 1e6);
        lines.push(`| ${e.label} | ${row.batch} | ${runtime}${row.policy ? ` (${row.policy} wait)` : ''} | ${fmt(row.msPerShower)} ± ${fmt(row.std)} | ${fmt(row.msPerShower * threads)} | ${torch ? (torch.msPerShower / row.msPerShower).toFixed(2) : '–'} | ${gflops.toFixed(1)} | ${((100 * gflops * 1e9) / peakFlops).toFixed(1)} % |`);
      }
    }
  }
  return lines;
}
