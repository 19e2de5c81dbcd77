/**
 * `calozoo simulate`: writes showers from the built-in parametrised simulator as a
 * CaloChallenge HDF5 file (streamed in chunks, written atomically).
 */
import type { Command } from 'commander';
import { getGeometry, BUILTIN_GEOMETRY_IDS, GEOMETRY_ALIASES } from '@calozoo/core';
import { SIMULATOR_VARIATIONS, simulateToFile } from '@calozoo/simulator';
import { UsageError } from '../exit-codes.js';
import { parseOutputFile, parsePositiveInt, parseSeed, type CliContext } from '../context.js';

interface SimulateFlags {
  geometry: string;
  n: number;
  seed: number;
  out: string;
  particle?: 'photon' | 'electron' | 'pion';
  energy?: number;
  compression?: number;
  variation?: string;
}

/** The variations, one per line, for --help. */
const VARIATION_HELP = SIMULATOR_VARIATIONS.map((v) => `  ${v.name.padEnd(21)} ${v.role.padEnd(9)}  ${v.description}`).join('\n');

/** Registers the `simulate` command. */
export function registerSimulate(program: Command, ctx: CliContext): void {
  program
    .command('simulate')
    .description('simulate showers with the built-in parametrised simulator into a CaloChallenge HDF5 file')
    .requiredOption('--geometry <id>', `geometry: ${BUILTIN_GEOMETRY_IDS.join(', ')} (aliases ${Object.keys(GEOMETRY_ALIASES).join(', ')}) or grid-ZxXxY`)
    .requiredOption('--n <count>', 'number of showers', parsePositiveInt('--n'))
    .requiredOption('--out <file>', 'output HDF5 file (written atomically)', parseOutputFile('--out'))
    .option('--seed <n>', 'seed; the same seed gives the same file', parseSeed, 1)
    .option('--particle <name>', 'photon | electron | pion (default: the geometry\'s)')
    .option('--energy <MeV>', 'fixed incident energy in MeV (default: the dataset\'s energy distribution)', (v) => {
      const x = Number(v);
      if (!(x > 0)) throw new UsageError(`--energy must be a positive number of MeV, got "${v}"`);
      return x;
    })
    .option('--compression <level>', 'gzip level 0-9 (default 4)', (v) => {
      const x = Number(v);
      if (!Number.isInteger(x) || x < 0 || x > 9) throw new UsageError(`--compression must be an integer 0-9, got "${v}"`);
      return x;
    })
    .option('--variation <name>', 'a named variation of the detector physics (listed below; stored as the file attribute `variation`)', (v) => {
      if (!SIMULATOR_VARIATIONS.some((x) => x.name === v)) throw new UsageError(`--variation: unknown variation "${v}"; known: ${SIMULATOR_VARIATIONS.map((x) => x.name).join(', ')}`);
      return v;
    })
    .addHelpText(
      'after',
      `\nVariations (tune settings on the "tuning" ones, report on the "held-back" ones):\n${VARIATION_HELP}\n` +
        '\nExample:\n  calozoo simulate --geometry ds1-photons --n 50000 --seed 1 --out data/ds1-photons.h5\n  calozoo simulate --geometry ild-ecal --n 1000 --energy 50000 --out ecal-50GeV.h5\n  calozoo simulate --geometry ds1-photons --n 50000 --seed 1 --variation shallow-wide --out data/ds1-shallow-wide.h5',
    )
    .action(async (flags: SimulateFlags, cmd: Command) => {
      const out = ctx.output(cmd);
      if (flags.particle && !['photon', 'electron', 'pion'].includes(flags.particle)) {
        throw new UsageError(`--particle must be photon, electron or pion, got "${flags.particle}"`);
      }
      const geometry = getGeometry(flags.geometry);
      const bar = out.progress('simulate', flags.n, 'showers');
      const t0 = Date.now();
      const fixed = flags.energy;
      const result = await simulateToFile(flags.out, geometry, {
        n: flags.n,
        seed: flags.seed,
        particle: flags.particle,
        energies: fixed !== undefined ? () => fixed : undefined,
        compression: flags.compression,
        variation: flags.variation,
        signal: ctx.signal,
        onProgress: (done, total) => bar.update(done, total),
      });
      bar.stop();
      const seconds = (Date.now() - t0) / 1000;
      out.result({ ...result, seconds, showersPerSecond: flags.n / seconds }, () =>
        `wrote ${result.n} ${geometry.id} showers (seed ${result.seed}${flags.variation ? `, variation ${flags.variation}` : ''}) to ${result.path} in ${seconds.toFixed(1)} s (${(flags.n / seconds).toFixed(0)} showers/s)`,
      );
    });
}
