/**
 * Shared by the training benchmarks (tools/bench-native/bench.mjs, packages/caloman/bench/train.bench.mjs):
 * timing a training step inside a child process, and running such a child and reading its JSON line.
 */
import { spawnSync } from 'node:child_process';

/** Runs `step` `warmup` times, then `steps` timed times; wall and CPU throughput of `batch`-sample steps. */
export function timeSteps(step, batch, warmup, steps) {
  for (let i = 0; i < warmup; i++) step();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let loss = 0;
  for (let i = 0; i < steps; i++) loss = step();
  const dt = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return {
    steps, finite: Number.isFinite(loss),
    samples_per_s: (batch * steps) / dt, seconds_per_step: dt / steps, cpu_ms_per_sample: ((cpu.user + cpu.system) / 1000) / (batch * steps),
  };
}

/** Runs `cmd args` in `cwd` (TensorFlow start-up logs silenced) and returns the last JSON line of its stdout, or undefined on failure. */
export function runChild(cwd, cmd, args, label, extraEnv = {}) {
  process.stderr.write(`bench: ${label} ...\n`);
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', ...extraEnv }, maxBuffer: 1 << 26 });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) {
    process.stderr.write(`bench: ${label} failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}\n`);
    return undefined;
  }
  const result = JSON.parse(line);
  process.stderr.write(`bench: ${label}: ${JSON.stringify(result.samples_per_s ?? result)}\n`);
  return result;
}
