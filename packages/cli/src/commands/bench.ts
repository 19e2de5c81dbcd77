/**
 * `calozoo bench --model <dir> --batch 1,100,10000`: generation speed of a trained model on each
 * runtime (ONNX Runtime, TensorFlow.js): ms per shower (mean ± std over repeated calls after a
 * warm-up call) and showers per second, per batch size.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import type { Command } from 'commander';
import { Rng, loadModel, readModelConfig, selectTfBackend, type Generator, type TfBackendName } from '@calozoo/core';
import { UsageError } from '../exit-codes.js';
import { parseNumberList, parsePositiveInt, type CliContext } from '../context.js';
import { loadPlugins } from '../plugins.js';

/** One measured cell of the benchmark. */
export interface BenchRow {
  runtime: 'onnx' | 'tfjs';
  batch: number;
  msPerShower: number;
  msPerShowerStd: number;
  showersPerSecond: number;
  reps: number;
}

/** Options of `benchGenerate`. */
interface BenchOptions {
  batches: readonly number[];
  runtimes: readonly ('onnx' | 'tfjs')[];
  /** Minimum seconds of timed calls per cell (at least 3 calls). */
  seconds: number;
  /** ONNX Runtime threads. */
  threads?: number;
  signal?: AbortSignal;
  onRow?: (row: BenchRow) => void;
}

/** Incident energies log-uniform in [1 GeV, 1 TeV] (MeV), seeded. */
function benchEnergies(n: number): Float32Array {
  const rng = new Rng(20261123, 5);
  return Float32Array.from({ length: n }, () => 1e3 * Math.pow(1e3, rng.uniform()));
}

/** Times `model.generate` per runtime and batch size (one call of `batch` showers per repetition). */
export async function benchGenerate(model: Generator, o: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const runtime of o.runtimes) {
    for (const batch of o.batches) {
      const energy = benchEnergies(batch);
      let seed = 1;
      const call = () => model.generate({ energy }, { seed: seed++, batchSize: batch, runtime, ...(o.threads ? { threads: o.threads } : {}) });
      await call();
      const times: number[] = [];
      const t0 = performance.now();
      while (times.length < 3 || performance.now() - t0 < o.seconds * 1000) {
        o.signal?.throwIfAborted();
        const t = performance.now();
        await call();
        times.push(performance.now() - t);
      }
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      const sd = Math.sqrt(times.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, times.length - 1));
      const row: BenchRow = { runtime, batch, msPerShower: mean / batch, msPerShowerStd: sd / batch, showersPerSecond: (1000 * batch) / mean, reps: times.length };
      o.onRow?.(row);
      rows.push(row);
    }
  }
  return rows;
}

interface BenchFlags {
  model: string;
  batch: number[];
  runtime: string;
  seconds: number;
  threads?: number;
  backend?: TfBackendName;
}

/** Registers the `bench` command. */
export function registerBench(program: Command, ctx: CliContext): void {
  program
    .command('bench')
    .description('measure a trained model\'s generation speed (ms/shower, showers/s) per runtime and batch size')
    .requiredOption('--model <dir>', 'model directory written by `calozoo train`')
    .option('--batch <sizes>', 'batch sizes', parseNumberList('--batch'), [1, 100, 10000])
    .option('--runtime <names>', 'runtimes to time, comma-separated: onnx, tfjs', 'onnx,tfjs')
    .option('--seconds <s>', 'minimum timed seconds per cell (at least 3 calls)', parsePositiveInt('--seconds'), 2)
    .option('--threads <n>', 'ONNX Runtime threads (default: all cores)', parsePositiveInt('--threads'))
    .option('--backend <name>', 'TensorFlow.js backend for the tfjs runtime')
    .addHelpText('after', '\nExample:\n  calozoo bench --model packages/caloman/models/ds1-photons --batch 1,100,10000')
    .action(async (flags: BenchFlags, cmd: Command) => {
      const out = ctx.output(cmd);
      const runtimes = flags.runtime.split(',').map((s) => s.trim());
      for (const r of runtimes) if (r !== 'onnx' && r !== 'tfjs') throw new UsageError(`--runtime: unknown runtime "${r}"; use onnx, tfjs or both`);
      if (flags.batch.some((b) => !Number.isInteger(b) || b < 1)) throw new UsageError(`--batch needs positive integers, got ${flags.batch.join(',')}`);
      await loadPlugins(cmd.optsWithGlobals().plugin ?? []);
      const cfg = await readModelConfig(flags.model);
      const device = await selectTfBackend({ backend: flags.backend });
      const model = await loadModel(flags.model, { logger: out.logger() });
      const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version, loadavg: loadavg().map((x) => +x.toFixed(2)), tfjsBackend: device.chosen };
      out.log(`${cfg.plugin}@${cfg.pluginVersion} (${cfg.geometry}) on ${machine.cpu} × ${machine.cores}, TF.js backend ${device.chosen}, load ${machine.loadavg.join(' ')}`);
      let rows: BenchRow[];
      try {
        rows = await benchGenerate(model, {
          batches: flags.batch,
          runtimes: runtimes as ('onnx' | 'tfjs')[],
          seconds: flags.seconds,
          threads: flags.threads,
          signal: ctx.signal,
          onRow: (r) => out.log(`  ${r.runtime} batch ${r.batch}: ${r.msPerShower.toPrecision(3)} ms/shower`),
        });
      } finally {
        model.dispose();
      }
      out.result({ model: flags.model, plugin: cfg.plugin, geometry: cfg.geometry, machine, threads: flags.threads ?? null, rows }, () => {
        const lines = ['runtime  batch   ms/shower (± std)      showers/s   reps'];
        for (const r of rows) {
          lines.push(
            `${r.runtime.padEnd(7)}  ${String(r.batch).padStart(5)}   ${`${r.msPerShower.toPrecision(3)} ± ${r.msPerShowerStd.toPrecision(2)}`.padEnd(20)}  ${r.showersPerSecond.toFixed(0).padStart(9)}   ${r.reps}`,
          );
        }
        return lines.join('\n');
      });
    });
}
