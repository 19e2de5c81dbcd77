/**
 * The CLI commands the caloman plugin adds: `calozoo intrinsic-dim <file>`, the Levina–Bickel
 * maximum-likelihood estimate of the intrinsic dimension of showers (field-reference.md §4.9) in
 * the representation CaloMan's VAE sees, to choose a latent size.
 */
import { InvalidArgumentError, type PluginCommand } from '@calozoo/core';
import { showerIntrinsicDimension } from './shower-dimension.js';

/** `calozoo intrinsic-dim <file> [--k 5,10,20] [--max-showers 5000] [--geometry id]`. */
export const intrinsicDimCommand: PluginCommand = {
  name: 'intrinsic-dim',
  description: 'estimate the intrinsic dimension of showers (Levina–Bickel MLE over k) to choose a latent size',
  arguments: [{ name: '<file>', description: 'HDF5 shower file' }],
  options: [
    { flags: '--k <list>', description: 'neighbourhood sizes, comma-separated (each >= 3)', default: '5,10,20' },
    { flags: '--max-showers <n>', description: 'use at most this many showers (the k-NN search is O(n²))', default: '5000' },
    { flags: '--geometry <id>', description: 'geometry id when the file does not say' },
  ],
  example: 'calozoo intrinsic-dim data/ds1-photons.h5 --k 5,10,20',
  async run([file], o, io) {
    const ks = String(o['k']).split(',').map((s) => Number(s.trim()));
    if (ks.some((k) => !Number.isInteger(k) || k < 3)) throw new InvalidArgumentError(`--k must be integers >= 3, got "${String(o['k'])}"`);
    const maxShowers = Number(o['maxShowers']);
    if (!(Number.isInteger(maxShowers) && maxShowers >= 1)) throw new InvalidArgumentError(`--max-showers must be a positive integer, got "${String(o['maxShowers'])}"`);
    const { showers, geometry } = await io.readShowers(file!, { geometry: o['geometry'] as string | undefined, maxShowers });
    const t0 = Date.now();
    const rows = showerIntrinsicDimension(showers, geometry, { k: ks, maxShowers });
    const seconds = (Date.now() - t0) / 1000;
    const n = Math.min(showers.n, maxShowers);
    return {
      json: { file, geometry: geometry.id, showers: n, estimates: rows, seconds },
      text: [
        `intrinsic dimension of ${file} (${geometry.id}, ${n} showers, CaloMan's VAE input representation):`,
        '   k   Levina–Bickel   MacKay–Ghahramani',
        ...rows.map((r) => `${String(r.k).padStart(4)}   ${r.levinaBickel.toFixed(2).padStart(13)}   ${r.mackayGhahramani.toFixed(2).padStart(17)}`),
      ].join('\n'),
    };
  },
};
