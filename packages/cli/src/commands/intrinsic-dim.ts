/**
 * `calozoo intrinsic-dim <file>`: the Levina–Bickel maximum-likelihood estimate of the intrinsic
 * dimension of showers (field-reference.md §4.9), in the representation CaloMan's VAE sees, to
 * choose a latent size. The estimator ships with @calozoo/caloman, loaded on demand.
 */
import type { Command } from 'commander';
import { CalozooError, openShowerFile, type Geometry, type Showers } from '@calozoo/core';
import { resolveFileGeometry } from '../file-geometry.js';
import { UsageError } from '../exit-codes.js';
import { parsePositiveInt, type CliContext } from '../context.js';

interface Estimate {
  k: number;
  levinaBickel: number;
  mackayGhahramani: number;
  points: number;
}

type Estimator = (s: Showers, g: Geometry, o: { k?: number[]; maxShowers?: number; thresholdMeV?: number }) => Estimate[];

async function loadEstimator(): Promise<Estimator> {
  try {
    const mod = (await import('@calozoo/caloman' as string)) as { showerIntrinsicDimension: Estimator };
    return mod.showerIntrinsicDimension;
  } catch (err) {
    throw new CalozooError('PLUGIN_NOT_FOUND', `intrinsic-dim needs @calozoo/caloman, which could not be loaded (${(err as Error).message.split('\n')[0]}). Install it.`);
  }
}

/** Registers the `intrinsic-dim` command. */
export function registerIntrinsicDim(program: Command, ctx: CliContext): void {
  program
    .command('intrinsic-dim')
    .description('estimate the intrinsic dimension of showers (Levina–Bickel MLE over k) to choose a latent size')
    .argument('<file>', 'HDF5 shower file')
    .option('--k <list>', 'neighbourhood sizes, comma-separated (each >= 3)', '5,10,20')
    .option('--max-showers <n>', 'use at most this many showers (the k-NN search is O(n²))', parsePositiveInt('--max-showers'), 5000)
    .option('--geometry <id>', 'geometry id when the file does not say')
    .addHelpText('after', '\nExample:\n  calozoo intrinsic-dim data/ds1-photons.h5 --k 5,10,20')
    .action(async (file: string, flags: { k: string; maxShowers: number; geometry?: string }, cmd: Command) => {
      const out = ctx.output(cmd);
      const ks = flags.k.split(',').map((s) => Number(s.trim()));
      if (ks.some((k) => !Number.isInteger(k) || k < 3)) throw new UsageError(`--k must be integers >= 3, got "${flags.k}"`);
      const f = await openShowerFile(file);
      let showers: Showers;
      let geometry: Geometry;
      try {
        geometry = resolveFileGeometry(f, flags.geometry);
        showers = f.readRange(0, Math.min(f.n, flags.maxShowers));
      } finally {
        f.close();
      }
      const estimate = await loadEstimator();
      const t0 = Date.now();
      const rows = estimate(showers, geometry, { k: ks, maxShowers: flags.maxShowers });
      const seconds = (Date.now() - t0) / 1000;
      out.result({ file, geometry: geometry.id, showers: Math.min(showers.n, flags.maxShowers), estimates: rows, seconds }, () =>
        [
          `intrinsic dimension of ${file} (${geometry.id}, ${Math.min(showers.n, flags.maxShowers)} showers, CaloMan's VAE input representation):`,
          '   k   Levina–Bickel   MacKay–Ghahramani',
          ...rows.map((r) => `${String(r.k).padStart(4)}   ${r.levinaBickel.toFixed(2).padStart(13)}   ${r.mackayGhahramani.toFixed(2).padStart(17)}`),
        ].join('\n'),
      );
    });
}
