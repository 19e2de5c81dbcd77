/**
 * `calozoo evaluate`: CaloChallenge-style evaluation of generated showers against a reference
 * file: prints a table, writes metrics.json and an HTML report with SVG plots.
 */
import type { Command } from 'commander';
import * as path from 'node:path';
import { getGeometry, openShowerFile } from '@calozoo/core';
import { ALL_EVAL_MODES, EVAL_MODES, evaluate, formatTable, type EvalMode } from '@calozoo/metrics';
import { UsageError } from '../exit-codes.js';
import { commandLine, once, parseOutputDir, type CliContext } from '../context.js';
import { resolveFileGeometry } from '../file-geometry.js';
import { CLI_VERSION } from '../version.js';

interface EvaluateFlags {
  reference: string;
  generated: string;
  geometry?: string;
  out?: string;
  modes?: string;
  threshold?: number;
  classifier?: 'official' | 'fast';
  allowNegative?: boolean;
}

async function detectGeometry(file: string): Promise<string> {
  const f = await openShowerFile(file, { validate: false });
  try {
    return resolveFileGeometry(f).id;
  } finally {
    f.close();
  }
}

/** Registers the `evaluate` command. */
export function registerEvaluate(program: Command, ctx: CliContext): void {
  program
    .command('evaluate')
    .description('compare generated showers with a reference: CaloChallenge metrics, table, metrics.json and HTML report')
    .requiredOption('--reference <file>', 'reference (e.g. Geant4 or simulator) HDF5 file')
    .requiredOption('--generated <file>', 'generated HDF5 file (one per run)', once('--generated', 'evaluate compares one generated file with the reference: run it once per file'))
    .option('--geometry <id>', 'geometry id (default: from the file attribute or voxel count)')
    .option('--out <dir>', 'write metrics.json and index.html here', parseOutputDir('--out'))
    .option('--allow-negative', 'read negative voxel energies as they are; the threshold then removes them (default: a file holding any is refused)')
    .option('--modes <list>', `comma-separated evaluation modes (${ALL_EVAL_MODES.join(', ')}); default ${EVAL_MODES.join(',')}`)
    .option('--classifier <protocol>', 'classifier protocol for cls-* modes: official (CaloChallenge, slow) or fast (quick check, not the official protocol)', 'official')
    .option('--threshold <MeV>', 'voxel threshold in MeV (default: the official one for the geometry)', (v) => {
      const x = Number(v);
      if (!(x >= 0)) throw new UsageError(`--threshold must be a number >= 0, got "${v}"`);
      return x;
    })
    .addHelpText(
      'after',
      '\nExample:\n  calozoo evaluate --reference data/ds1-photons-test.h5 --generated gen.h5 --out calozoo-report\n  calozoo evaluate --reference ref.h5 --generated gen.h5 --modes hist-chi,cls-high --classifier fast',
    )
    .action(async (flags: EvaluateFlags, cmd: Command) => {
      const out = ctx.output(cmd);
      let modes: EvalMode[] | undefined;
      if (flags.modes) {
        modes = flags.modes.split(',').map((m) => m.trim()) as EvalMode[];
        const bad = modes.filter((m) => !ALL_EVAL_MODES.includes(m));
        if (bad.length) throw new UsageError(`unknown evaluation mode(s) ${bad.join(', ')}; known: ${ALL_EVAL_MODES.join(', ')}`);
      }
      if (flags.classifier && !['official', 'fast'].includes(flags.classifier)) {
        throw new UsageError(`--classifier must be official or fast, got "${flags.classifier}"`);
      }
      const geometry = flags.geometry ? getGeometry(flags.geometry).id : await detectGeometry(flags.reference);
      const bar = out.progress('evaluate', undefined, 'showers');
      let stage = '';
      const t0 = Date.now();
      const { result } = await evaluate({
        reference: flags.reference,
        generated: flags.generated,
        geometry,
        modes,
        threshold: flags.threshold,
        classifier: { protocol: flags.classifier ?? 'official' },
        allowNegative: flags.allowNegative ?? false,
        outDir: flags.out,
        labels: { reference: path.basename(flags.reference), generated: path.basename(flags.generated) },
        provenance: { commandLine: commandLine(ctx), versions: { '@calozoo/cli': CLI_VERSION } },
        signal: ctx.signal,
        onProgress: (p) => {
          ctx.signal.throwIfAborted();
          if (p.stage !== stage) {
            stage = p.stage;
            bar.restart(p.unit ?? 'showers');
          }
          bar.update(p.done, p.total, p.stage, p.etaSeconds);
        },
      });
      bar.stop();
      const seconds = (Date.now() - t0) / 1000;
      out.result({ ...result, seconds, out: flags.out ?? null }, () => {
        const lines = [formatTable(result)];
        if (flags.out) lines.push(`\nwrote ${path.join(flags.out, 'metrics.json')} and ${path.join(flags.out, 'index.html')}`);
        lines.push(`evaluated in ${seconds.toFixed(1)} s`);
        return lines.join('\n');
      });
    });
}
