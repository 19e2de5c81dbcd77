/**
 * `calozoo merge`: joins shard files (from `generate --shard k/N`) or any compatible shower
 * files into one, streamed in chunks and written atomically.
 */
import type { Command } from 'commander';
import { mergeShowerFiles } from '@calozoo/core';
import { parseOutputFile, type CliContext } from '../context.js';

/** Registers the `merge` command. */
export function registerMerge(program: Command, ctx: CliContext): void {
  program
    .command('merge')
    .description('join shower files (e.g. the shards of `generate --shard k/N`) into one file')
    .argument('<inputs...>', 'input HDF5 files; shards are put in shard order')
    .requiredOption('--out <file>', 'output HDF5 file (written atomically)', parseOutputFile('--out'))
    .addHelpText('after', '\nExample:\n  calozoo merge gen-*.h5 --out gen.h5')
    .action(async (inputs: string[], flags: { out: string }, cmd: Command) => {
      const out = ctx.output(cmd);
      const bar = out.progress('merge', undefined, 'showers');
      const r = await mergeShowerFiles(inputs, flags.out, { onProgress: (d: number, t: number) => bar.update(d, t), signal: ctx.signal });
      bar.stop();
      out.result(r, () => `merged ${r.inputs.length} files, ${r.n} showers, into ${r.path}`);
    });
}
