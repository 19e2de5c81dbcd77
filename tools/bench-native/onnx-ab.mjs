/**
 * Interleaved A/B of two ONNX graphs of the same model on ONNX Runtime (the bare sessions, as
 * `generate` runs them): the same inputs into both, max |Δ| of their first outputs, then rounds of
 * A and B alternating, ms per row (shower) and the ratio of the medians. For a change to core's
 * ONNX export: export the model before and after it, and compare.
 *
 *   node tools/bench-native/onnx-ab.mjs A.onnx B.onnx [--batch 4] [--rounds 6] [--reps 25] [--threads 2]
 *
 * Inputs come from the graph's input list, the batch dimension set to --batch: `energy` gets
 * 10–100 GeV in MeV, `condition` values in [−0.25, 0.25], everything else uniform in [−1, 1]
 * (seeded). On a shared machine compare the ratio, not the times.
 */
import { promises as fs } from 'node:fs';
import { Rng, createOrtSession, onnxRoot } from '@calozoo/core';
import { benchArgs, median } from './generate-bench.mjs';

const { args, opt } = benchArgs();
const files = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--'));
if (files.length !== 2) throw new Error('usage: onnx-ab.mjs A.onnx B.onnx [--batch 4] [--rounds 6] [--reps 25] [--threads 2]');
const B = Number(opt('batch', 4));
const ROUNDS = Number(opt('rounds', 6));
const REPS = Number(opt('reps', 25));
const THREADS = Number(opt('threads', 2));

/** The graph's inputs: name and dims (a symbolic or unknown dimension is the batch). */
async function inputsOf(file) {
  const type = onnxRoot().lookupType('onnx.ModelProto');
  const m = type.toObject(type.decode(await fs.readFile(file)), { longs: Number, defaults: true });
  return m.graph.input.map((v) => ({ name: v.name, dims: (v.type?.tensor_type?.shape?.dim ?? []).map((d) => (d.dim_value > 0 ? d.dim_value : B)) }));
}

const rng = new Rng(7);
const feeds = {};
for (const { name, dims } of await inputsOf(files[0])) {
  const n = dims.reduce((a, b) => a * b, 1);
  const draw = name === 'energy' ? () => 1e4 + 9e4 * rng.uniform() : name === 'condition' ? () => 0.5 * rng.uniform() - 0.25 : () => 2 * rng.uniform() - 1;
  feeds[name] = { data: Float32Array.from({ length: n }, draw), dims };
}
const sessions = [];
for (const f of files) sessions.push(await createOrtSession(f, { threads: THREADS }));
const outs = [];
for (const s of sessions) outs.push(Object.values(await s.run(feeds))[0].data);
let diff = 0;
let max = 0;
for (let i = 0; i < outs[0].length; i++) {
  diff = Math.max(diff, Math.abs(outs[0][i] - outs[1][i]));
  max = Math.max(max, Math.abs(outs[0][i]));
}
const times = [[], []];
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < 2; k++) {
    const t0 = performance.now();
    for (let i = 0; i < REPS; i++) await sessions[k].run(feeds);
    times[k].push((performance.now() - t0) / REPS / B);
  }
}
for (const s of sessions) await s.dispose();
const fmt = (a) => a.map((v) => v.toFixed(2)).join(' ');
console.log(`outputs: max |A − B| ${diff.toExponential(2)} (max |A| ${max.toExponential(2)})`);
console.log(`batch ${B}, ${ROUNDS} rounds of ${REPS} calls, ${THREADS} threads, ms/row: A ${fmt(times[0])} | B ${fmt(times[1])}`);
console.log(`median A ÷ median B: ${(median(times[0]) / median(times[1])).toFixed(3)}`);
