/**
 * `calozoo train <plugin>`: trains a model through its plugin's `Trainable`, writes the model
 * directory with the training summary and loss curves, keeps resumable checkpoints, and on
 * Ctrl-C keeps the last checkpoint and prints the exact resume command.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  applyOverrides,
  mergeConfig,
  getModel,
  openShowerFile,
  readJson,
  readModelConfig,
  selectTfBackend,
  TrainingDivergedError,
  NATIVE_SPEEDUP,
  writeJsonAtomic,
  type FitReport,
  type TfBackendName,
} from '@calozoo/core';
import { EXIT_INTERRUPTED, UsageError } from '../exit-codes.js';

import { parseDuration, parseOutputDir, parsePositiveInt, parseSeed, type CliContext } from '../context.js';
import type { Output } from '../output.js';
import { loadPlugins } from '../plugins.js';
import { resolveFileGeometry } from '../file-geometry.js';

/** Options of the train command as parsed. */
export interface TrainFlags {
  data: string;
  out: string;
  config?: string;
  set?: string[];
  epochs?: number;
  time?: number;
  resume?: boolean;
  backend?: TfBackendName;
  threads?: number;
  validationFraction?: number;
  seed: number;
  geometry?: string;
  checkpointEvery?: number;
  allowNegative?: boolean;
  memory?: number;
}

/**
 * The `calozoo train` command line of this run (recorded in training.json and the model card):
 * with --resume, the command that continues it (the config then comes from the checkpoint);
 * without, the one that trains it again, --config and --set included.
 */
function commandLine(plugin: string, f: TrainFlags, plugins: readonly string[] = [], resume = false): string {
  const parts = ['calozoo', ...plugins.flatMap((p) => ['--plugin', p]), 'train', plugin, '--data', f.data, '--out', f.out, '--seed', String(f.seed)];
  if (resume) parts.push('--resume');
  else {
    if (f.config) parts.push('--config', f.config);
    for (const s of f.set ?? []) parts.push('--set', s);
  }
  if (f.epochs) parts.push('--epochs', String(f.epochs));
  if (f.time) parts.push('--time', `${f.time}s`);
  if (f.allowNegative) parts.push('--allow-negative');
  if (f.validationFraction) parts.push('--validation-fraction', String(f.validationFraction));
  if (f.checkpointEvery) parts.push('--checkpoint-every', `${f.checkpointEvery}s`);
  if (f.geometry) parts.push('--geometry', f.geometry);
  if (f.backend) parts.push('--backend', f.backend);
  if (f.threads) parts.push('--threads', String(f.threads));
  if (f.memory) parts.push('--memory', String(f.memory));
  return parts.map((p) => (/[\s"'$`\\]/.test(p) ? JSON.stringify(p) : p)).join(' ');
}

/** Registers the `train` command. */
export function registerTrain(program: Command, ctx: CliContext): void {
  program
    .command('train')
    .description('train a model plugin on a shower file and write a model directory')
    .argument('<plugin>', 'model plugin name (see `calozoo models`)')
    .requiredOption('--data <file>', 'training HDF5 file (validation split taken from it)')
    .requiredOption('--out <dir>', 'model directory to write', parseOutputDir('--out'))
    .option('--config <file>', 'JSON config layered over the plugin defaults')
    .option('--set <key=value...>', 'override config keys, e.g. --set vae.hidden=[256,256]')
    .option('--epochs <n>', 'maximum epochs per training phase', parsePositiveInt('--epochs'))
    .option('--time <duration>', 'wall-clock limit, e.g. 30m or 2h', parseDuration('--time'))
    .option('--resume', 'continue from the latest checkpoint in <out>/checkpoints')
    .option('--backend <name>', 'TensorFlow.js backend: tensorflow | wasm | cpu (default: fastest available)')
    .option('--threads <n>', 'intra-op threads of native TensorFlow (default: one per core, or CALOZOO_TF_THREADS)', parsePositiveInt('--threads'))
    .option('--validation-fraction <f>', 'fraction held out for validation (default 0.2)', (v) => {
      const x = Number(v);
      if (!(x > 0 && x < 1)) throw new UsageError(`--validation-fraction must be in (0, 1), got "${v}"`);
      return x;
    })
    .option('--seed <n>', 'seed of initialisation, shuffling and split', parseSeed, 1)
    .option('--geometry <id>', 'geometry id when the file does not say')
    .option('--checkpoint-every <duration>', 'seconds between checkpoints (default 60s)', parseDuration('--checkpoint-every'))
    .option('--allow-negative', 'train on negative voxel energies as they are (default: a file holding any is refused)')
    .option('--memory <MiB>', 'memory for the training showers, MiB (default 1024); a plugin that reads showers into memory trains on the first ones that fit and says so', parsePositiveInt('--memory'))
    .addHelpText('after', '\nExample:\n  calozoo train caloman --data data/ds1-photons.h5 --out models/caloman-ds1 --time 30m --seed 1\n  calozoo train caloman --data data/ds1-photons.h5 --out models/caloman-ds1 --resume')
    .action(async (pluginName: string, flags: TrainFlags, cmd: Command) => {
      const out = ctx.output(cmd);
      if (flags.backend && !['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'].includes(flags.backend)) {
        throw new UsageError(`--backend must be one of tensorflow-gpu, tensorflow, wasm, cpu; got "${flags.backend}"`);
      }
      await loadPlugins(cmd.optsWithGlobals().plugin ?? []);
      const summary = await trainModelDir(ctx, out, pluginName, flags, (cmd.optsWithGlobals().plugin ?? []) as string[]);
      if (!summary) return;
      out.result({ ...summary.summary, out: flags.out, lastEpoch: summary.history.at(-1) ?? null }, () => {
        const last = summary.history.at(-1);
        return `trained ${summary.summary.plugin} on ${summary.summary.geometry} in ${summary.summary.seconds.toFixed(1)} s (${summary.summary.stoppedBy}); ${
          last ? `last ${last.phase} epoch ${last.epoch}: train ${last.trainLoss.toPrecision(4)}${last.validationLoss !== undefined ? `, validation ${last.validationLoss.toPrecision(4)}` : ''}; ` : ''
        }model written to ${flags.out}`;
      });
    });
}

/** What one training run wrote: the summary stored in training.json and the loss history. */
export interface TrainOutcome {
  summary: {
    plugin: string;
    pluginVersion: string;
    geometry: string;
    data: string;
    seed: number;
    backend: string;
    startedAt: string;
    finishedAt: string;
    seconds: number;
    stoppedBy: FitReport['stoppedBy'];
    trainSize: number;
    validationSize: number;
    energyRangeMeV: number[];
    /** The command line that trains this model again (`commandLine`). */
    command: string;
  };
  history: FitReport['history'];
}

/**
 * Trains plugin `pluginName` on `flags.data` into the model directory `flags.out` (config,
 * checkpoints, weights, training.json), as `calozoo train` does; undefined when interrupted
 * (the checkpoint is kept and the resume command printed). Plugins must be loaded already.
 */
export async function trainModelDir(ctx: CliContext, out: Output, pluginName: string, flags: TrainFlags, plugins: readonly string[] = []): Promise<TrainOutcome | undefined> {
  const plugin = getModel(pluginName);
  // --threads, else CALOZOO_TF_THREADS, else the plugin's measured choice (precedence in the device layer).
  const cores = availableParallelism();
  const device = await selectTfBackend({ backend: flags.backend, threads: flags.threads, fallbackThreads: plugin.trainingThreads?.(cores), logger: { debug: (m) => out.verbose && out.log(m) } });
  const why = device.threadsFrom === 'fallback' ? ` (${plugin.name}'s choice on ${cores} cores; --threads to change)` : '';
  const threadNote = device.chosen.startsWith('tensorflow') ? `, ${device.threads} intra-op thread${device.threads === 1 ? '' : 's'}${why}` : '';
  out.log(`backend: ${device.chosen}${threadNote}${device.tried.length ? ` (skipped: ${device.tried.map((t) => `${t.name}: ${t.reason}`).join('; ')})` : ''}`);
  if (!device.chosen.startsWith('tensorflow')) {
    out.warn(
      `training on the ${device.chosen} backend; native TensorFlow trained CaloMan's networks ${NATIVE_SPEEDUP} (build it with: npm run setup:native). ` +
        `With --time, a phase whose share cannot fit one epoch stops the run before it trains, with the time it would need.`,
    );
  }
  const file = await openShowerFile(flags.data, { allowNegative: flags.allowNegative ?? false });
  const geometry = resolveFileGeometry(file, flags.geometry);
  // The incident energies trained on, recorded so that `generate` can warn outside them.
  const energies = file.readEnergies();
  const energyRangeMeV = [energies.reduce((a, e) => Math.min(a, e), Infinity), energies.reduce((a, e) => Math.max(a, e), -Infinity)];
  let config: unknown;
  const savedConfig = path.join(flags.out, 'checkpoints', 'config.json');
  if (flags.resume) {
    if (!existsSync(savedConfig)) throw new UsageError(`--resume: no checkpoint config at ${savedConfig}; train without --resume first`);
    config = (await readJson<{ config: unknown }>(savedConfig)).config;
  } else {
    let raw: unknown = plugin.defaultConfig(geometry);
    // a partial config file is layered over this geometry's defaults, not the plugin's generic ones
    if (flags.config) raw = mergeConfig(raw, await readJson(flags.config), flags.config);
    if (flags.set?.length) raw = applyOverrides(raw, flags.set);
    config = plugin.parseConfig(raw, flags.config ?? 'defaults');
  }
  let model: Awaited<ReturnType<typeof plugin.create>>;
  try {
    model = await plugin.create(config, geometry);
  } catch (err) {
    file.close();
    throw err;
  }
  // Written only once the plugin accepted the config, so a refused one leaves nothing to --resume from.
  if (!flags.resume) await writeJsonAtomic(savedConfig, { plugin: plugin.name, geometry: geometry.id, config });
  const bar = out.progress(`train ${plugin.name}`, undefined, 'steps');
  let phaseShown = '';
  const stepPhases = new Set<string>();
  let report: FitReport;
  const started = new Date().toISOString();
  try {
    report = await model.fit(file, {
      seed: flags.seed,
      epochs: flags.epochs,
      timeLimitSeconds: flags.time,
      validationFraction: flags.validationFraction,
      checkpointDir: path.join(flags.out, 'checkpoints'),
      checkpointEverySeconds: flags.checkpointEvery,
      resume: flags.resume,
      memoryBudgetMiB: flags.memory,
      signal: ctx.signal,
      logger: out.logger(),
      // The bar counts the steps of the running phase; a phase that reports only epochs (or
      // units of its own) is shown in those, under their name.
      onProgress: (e) => {
        if (e.unit === 'steps') stepPhases.add(e.phase);
        else if (stepPhases.has(e.phase)) return;
        if (e.phase !== phaseShown) {
          phaseShown = e.phase;
          bar.restart(e.unit ?? 'epochs');
        }
        const extra = e.values ? Object.entries(e.values).map(([k, v]) => `${k} ${k === 'epoch' ? v : v.toPrecision(4)}`).join(', ') : '';
        bar.update(e.done, e.total, `${e.phase}${extra ? ' ' + extra : ''}`, e.etaSeconds);
      },
    });
  } finally {
    bar.stop();
    file.close();
  }
  if (report.stoppedBy === 'abort') {
    out.log(`training interrupted; the last checkpoint is kept in ${path.join(flags.out, 'checkpoints')}.`);
    process.stderr.write(`resume with:\n  ${commandLine(pluginName, flags, plugins, true)}\n`);
    process.exitCode = EXIT_INTERRUPTED;
    return undefined;
  }
  if (report.stoppedBy === 'divergence') {
    // No model is written: the checkpoint holds the last good epoch to resume from.
    throw new TrainingDivergedError(
      `training diverged; no model was written. The checkpoint in ${path.join(flags.out, 'checkpoints')} holds the last good epoch. ` +
        `Lower the learning rate (edit ${savedConfig}) and resume with:\n  ${commandLine(pluginName, flags, plugins, true)}`,
    );
  }
  await model.save(flags.out);
  const summary = {
    plugin: plugin.name,
    pluginVersion: plugin.version,
    geometry: geometry.id,
    data: path.resolve(flags.data),
    seed: flags.seed,
    backend: device.chosen,
    startedAt: started,
    finishedAt: new Date().toISOString(),
    seconds: report.seconds,
    stoppedBy: report.stoppedBy,
    trainSize: report.trainSize,
    validationSize: report.validationSize,
    energyRangeMeV,
    command: commandLine(pluginName, flags, plugins),
  };
  await writeJsonAtomic(path.join(flags.out, 'training.json'), { ...summary, history: report.history });
  const cfg = await readModelConfig(flags.out).catch(() => null);
  if (cfg) await writeJsonAtomic(path.join(flags.out, 'config.json'), { ...cfg, training: { ...(cfg.training ?? {}), ...summary } });
  await fs.mkdir(flags.out, { recursive: true });
  return { summary, history: report.history };
}
