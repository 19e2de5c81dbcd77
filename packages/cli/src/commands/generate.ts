/**
 * `calozoo generate <model-dir>`: generates showers for given energies (or like a reference
 * file) into a CaloChallenge HDF5 file, streamed in blocks, written to a temporary file that is
 * renamed only when complete. The same seed gives the same file, whatever the batch size.
 */
import type { Command } from 'commander';
import {
  AbortedError,
  ATTR_SHARD,
  createShowerWriter,
  parseShard,
  shardRange,
  getGeometry,
  GENERATION_BLOCK,
  seededBlocks,
  sliceConditions,
  withSeededBlocks,
  loadModel,
  openShowerFile,
  readModelConfig,
  selectTfBackend,
  type Conditions,
  type Generator,
  type Geometry,
  type TfBackendName,
} from '@calozoo/core';
import { UsageError } from '../exit-codes.js';
import { parseNumberList, parseOutputFile, parsePositiveInt, parseSeed, readChunkRows, type CliContext } from '../context.js';
import { loadPlugins } from '../plugins.js';

interface GenerateFlags {
  shard?: string;
  energies?: number[];
  like?: string;
  n?: number;
  seed: number;
  out: string;
  batch?: number;
  runtime?: 'onnx' | 'tfjs';
  threads?: number;
  backend?: TfBackendName;
}

/** Builds the generation conditions from --energies/--n or --like. */
export async function conditionsFromFlags(f: GenerateFlags): Promise<Conditions> {
  if (f.energies && f.like) throw new UsageError('give either --energies or --like, not both');
  if (f.energies) {
    const n = f.n ?? f.energies.length;
    return { energy: Float32Array.from({ length: n }, (_, i) => f.energies![i % f.energies!.length]) };
  }
  if (f.like) {
    const ref = await openShowerFile(f.like);
    try {
      const n = Math.min(f.n ?? ref.n, ref.n);
      if (f.n && f.n > ref.n) throw new UsageError(`--n ${f.n} is more than the ${ref.n} showers in ${f.like}`);
      const energy = new Float32Array(n);
      const theta = ref.conditions.includes('theta') ? new Float32Array(n) : undefined;
      const phi = ref.conditions.includes('phi') ? new Float32Array(n) : undefined;
      const chunk = readChunkRows(ref.voxels);
      for (let s = 0; s < n; s += chunk) {
        const part = ref.readRange(s, Math.min(n, s + chunk));
        energy.set(part.energy, s);
        if (theta && part.theta) theta.set(part.theta, s);
        if (phi && part.phi) phi.set(part.phi, s);
      }
      const c: Conditions = { energy };
      if (theta) c.theta = theta;
      if (phi) c.phi = phi;
      return c;
    } finally {
      ref.close();
    }
  }
  throw new UsageError('give the incident energies with --energies 1000,2000,… (MeV) or take them from a file with --like ref.h5');
}

/** Options of `generateToFile`. */
export interface GenerateToFileOptions {
  out: string;
  seed: number;
  geometry: Geometry;
  generatorName: string;
  batchSize?: number;
  runtime?: 'onnx' | 'tfjs';
  /** ONNX Runtime threads (default: all cores). */
  threads?: number;
  signal?: AbortSignal;
  attributes?: Record<string, string | number>;
  /** Index of the first seeded block (non-zero for shards; blocks are GENERATION_BLOCK showers). */
  firstBlock?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Generates one shower per condition row into an HDF5 file, in seeded blocks of
 * GENERATION_BLOCK showers (so the file does not depend on the batch size), written to a
 * temporary file and renamed only when complete; on abort or error nothing is left behind.
 */
export async function generateToFile(model: Generator, conditions: Conditions, o: GenerateToFileOptions): Promise<void> {
  const n = conditions.energy.length;
  const writer = await createShowerWriter(o.out, { geometry: o.geometry, n, generator: o.generatorName, seed: o.seed, attributes: o.attributes });
  try {
    // Block by block (bounded memory); the seeded-block wrapper of the registry's models gives
    // block b the same seed as a single generate() call over all rows would.
    for (const { index, start, end } of seededBlocks(n, o.seed, o.firstBlock ?? 0)) {
      if (o.signal?.aborted) throw new AbortedError('generation interrupted; no output file was written');
      const showers = await withSeededBlocks(model).generate(sliceConditions(conditions, start, end), {
        seed: o.seed,
        firstBlock: index,
        batchSize: o.batchSize,
        runtime: o.runtime,
        ...(o.threads ? { threads: o.threads } : {}),
        signal: o.signal,
        onProgress: (e) => o.onProgress?.(start + e.done, n),
      });
      writer.append(showers);
      o.onProgress?.(end, n);
    }
    if (o.signal?.aborted) throw new AbortedError('generation interrupted; no output file was written');
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** Registers the `generate` command. */
export function registerGenerate(program: Command, ctx: CliContext): void {
  program
    .command('generate')
    .description('generate showers with a trained model into a CaloChallenge HDF5 file')
    .argument('<model-dir>', 'model directory written by `calozoo train`')
    .option('--energies <MeV,...>', 'incident energies in MeV (repeated cyclically up to --n)', parseNumberList('--energies'))
    .option('--like <file>', 'take incident energies (and angles) from a reference file')
    .option('--n <count>', 'number of showers', parsePositiveInt('--n'))
    .requiredOption('--seed <n>', 'seed; the same seed gives the same file', parseSeed)
    .requiredOption('--out <file>', 'output HDF5 file (written atomically)', parseOutputFile('--out'))
    .option('--batch <size>', 'showers per network call', parsePositiveInt('--batch'))
    .option('--runtime <name>', 'onnx | tfjs (default: the model\'s fastest, ONNX Runtime where the model has an export; `calozoo export` writes it)')
    .option('--threads <n>', 'ONNX Runtime threads (default: all cores)', parsePositiveInt('--threads'))
    .option('--backend <name>', 'TensorFlow.js backend for --runtime tfjs')
    .option('--shard <k/N>', 'generate only shard k of N (1-based; whole seeded blocks, so merged shards equal the unsharded file)')
    .addHelpText('after', '\nExample:\n  calozoo generate models/caloman-ds1 --like data/ds1-photons.h5 --n 10000 --seed 2 --out gen.h5\n  calozoo generate models/caloman-ds1 --energies 1024,65536 --n 100 --seed 1 --out few.h5')
    .action(async (dir: string, flags: GenerateFlags, cmd: Command) => {
      const out = ctx.output(cmd);
      if (flags.runtime && !['onnx', 'tfjs'].includes(flags.runtime)) throw new UsageError(`--runtime must be onnx or tfjs, got "${flags.runtime}"`);
      let conditions = await conditionsFromFlags(flags);
      let firstBlock = 0;
      let shardAttr: string | undefined;
      if (flags.shard) {
        let spec: { index: number; count: number };
        try {
          spec = parseShard(flags.shard);
        } catch (err) {
          throw new UsageError(`--shard: ${(err as Error).message}`);
        }
        const blocks = Math.ceil(conditions.energy.length / GENERATION_BLOCK);
        // Every k of N refuses alike when some shard would be empty, so an array job fails up front, not in one task.
        if (blocks < spec.count) throw new UsageError(`--shard ${flags.shard}: ${conditions.energy.length} showers make only ${blocks} seeded block(s) of ${GENERATION_BLOCK}, so ${spec.count} shards would leave some empty; use at most ${blocks} shard(s)`);
        const [b0, b1] = shardRange(blocks, spec.index, spec.count);
        const rows: [number, number] = [b0 * GENERATION_BLOCK, Math.min(conditions.energy.length, b1 * GENERATION_BLOCK)];
        conditions = sliceConditions(conditions, rows[0], rows[1]);
        firstBlock = b0;
        shardAttr = `${spec.index}/${spec.count}`;
      }
      await loadPlugins(cmd.optsWithGlobals().plugin ?? []);
      const cfg = await readModelConfig(dir);
      const geometry = getGeometry(cfg.geometry);
      await selectTfBackend({ backend: flags.backend });
      const range = cfg.training?.['energyRangeMeV'];
      if (Array.isArray(range) && range.length === 2) {
        const [lo, hi] = range as [number, number];
        const outside = conditions.energy.reduce((a, e) => a + (e < lo || e > hi ? 1 : 0), 0);
        if (outside > 0) {
          out.warn(`${outside} of ${conditions.energy.length} incident energies lie outside the range this model was trained on, ${lo} to ${hi} MeV (${dir}/config.json training.energyRangeMeV): its showers there are extrapolations, not validated physics`);
        }
      }
      const model = await loadModel(dir, { logger: out.logger() });
      const bar = out.progress('generate', conditions.energy.length, 'showers');
      const t0 = Date.now();
      try {
        await generateToFile(model, conditions, {
          out: flags.out,
          seed: flags.seed,
          batchSize: flags.batch,
          runtime: flags.runtime,
          threads: flags.threads,
          signal: ctx.signal,
          geometry,
          generatorName: `${cfg.plugin}@${cfg.pluginVersion}`,
          attributes: shardAttr ? { model: dir, [ATTR_SHARD]: shardAttr } : { model: dir },
          firstBlock,
          onProgress: (done, total) => bar.update(done, total),
        });
      } finally {
        bar.stop();
        model.dispose();
      }
      const n = conditions.energy.length;
      const seconds = (Date.now() - t0) / 1000;
      out.result({ out: flags.out, n, geometry: geometry.id, seed: flags.seed, seconds, msPerShower: (1000 * seconds) / n }, () =>
        `wrote ${n} showers (${geometry.id}) to ${flags.out} in ${seconds.toFixed(1)} s (${((1000 * seconds) / n).toFixed(3)} ms/shower)`,
      );
    });
}
