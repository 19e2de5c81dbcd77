/**
 * `calozoo info <file>`: what a shower file holds: N, voxels, geometry, energies, sparsity,
 * E_dep/E_inc, attributes. Reads the file in chunks, so any size works.
 */
import type { Command } from 'commander';
import { openShowerFile } from '@calozoo/core';
import { detectFileGeometry } from '../file-geometry.js';
import { readChunkRows, type CliContext } from '../context.js';

/** Summary statistics of a shower file. */
export interface FileInfo {
  file: string;
  n: number;
  voxels: number;
  dtype: string;
  geometry: string | null;
  conditions: string[];
  attributes: Record<string, unknown>;
  incidentEnergyMeV: { min: number; max: number; mean: number; distinct: number };
  depositedOverIncident: { mean: number; std: number };
  sparsity: number;
  depositedEnergyMeV: { mean: number };
}

/** Computes the `info` summary of a file, streaming it in chunks. */
export async function fileInfo(file: string, options: { chunk?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void; allowNegative?: boolean } = {}): Promise<FileInfo> {
  const f = await openShowerFile(file, { allowNegative: options.allowNegative ?? false });
  try {
    const geometry = detectFileGeometry(f)?.id ?? null;
    const chunk = options.chunk ?? readChunkRows(f.voxels);
    let eMin = Infinity;
    let eMax = -Infinity;
    let eSum = 0;
    const distinct = new Set<number>();
    let rSum = 0;
    let rSq = 0;
    let dSum = 0;
    let zeros = 0;
    for (let start = 0; start < f.n; start += chunk) {
      options.signal?.throwIfAborted();
      const s = f.readRange(start, Math.min(f.n, start + chunk));
      for (let i = 0; i < s.n; i++) {
        const e = s.energy[i];
        eMin = Math.min(eMin, e);
        eMax = Math.max(eMax, e);
        eSum += e;
        if (distinct.size <= 1000) distinct.add(e);
        let dep = 0;
        const o = i * s.voxels;
        for (let v = 0; v < s.voxels; v++) {
          const x = s.values[o + v];
          dep += x;
          if (x <= 0) zeros++;
        }
        dSum += dep;
        const r = dep / e;
        rSum += r;
        rSq += r * r;
      }
      options.onProgress?.(Math.min(f.n, start + chunk), f.n);
    }
    const n = f.n;
    const rMean = n ? rSum / n : NaN;
    return {
      file,
      n,
      voxels: f.voxels,
      dtype: f.dtype,
      geometry,
      conditions: ['energy', ...f.conditions],
      attributes: { ...f.attributes },
      incidentEnergyMeV: { min: eMin, max: eMax, mean: n ? eSum / n : NaN, distinct: distinct.size > 1000 ? -1 : distinct.size },
      depositedOverIncident: { mean: rMean, std: n > 1 ? Math.sqrt(Math.max(0, rSq / n - rMean * rMean)) : 0 },
      sparsity: n ? zeros / (n * f.voxels) : NaN,
      depositedEnergyMeV: { mean: n ? dSum / n : NaN },
    };
  } finally {
    f.close();
  }
}

/** Registers the `info` command. */
export function registerInfo(program: Command, ctx: CliContext): void {
  program
    .command('info')
    .description('summarise a CaloChallenge HDF5 shower file (N, voxels, geometry, energies, sparsity, E_dep/E_inc)')
    .argument('<file>', 'HDF5 file with incident_energies and showers')
    .option('--allow-negative', 'read negative voxel energies as they are (default: a file holding any is refused)')
    .addHelpText('after', '\nExample:\n  calozoo info data/ds1-photons.h5\n  calozoo info data/ds1-photons.h5 --json')
    .action(async (file: string, opts: { allowNegative?: boolean }, cmd: Command) => {
      const out = ctx.output(cmd);
      const bar = out.progress('info', undefined, 'showers');
      const info = await fileInfo(file, { signal: ctx.signal, onProgress: (d, t) => bar.update(d, t), allowNegative: opts.allowNegative ?? false });
      bar.stop();
      out.result(info, () => {
        const e = info.incidentEnergyMeV;
        const lines = [
          `file            ${info.file}`,
          `showers         ${info.n}`,
          `voxels          ${info.voxels} (${info.dtype})`,
          `geometry        ${info.geometry ?? 'unknown (no built-in geometry has this voxel count)'}`,
          `conditions      ${info.conditions.join(', ')}`,
          `E_inc [MeV]     min ${e.min.toPrecision(4)}, max ${e.max.toPrecision(4)}, mean ${e.mean.toPrecision(4)}${e.distinct > 0 ? `, ${e.distinct} distinct values` : ''}`,
          `E_dep/E_inc     mean ${info.depositedOverIncident.mean.toFixed(4)}, std ${info.depositedOverIncident.std.toFixed(4)}`,
          `sparsity        ${(100 * info.sparsity).toFixed(1)} % of voxels are zero`,
        ];
        const attrs = Object.entries(info.attributes);
        if (attrs.length) lines.push(`attributes      ${attrs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`);
        return lines.join('\n');
      });
    });
}
