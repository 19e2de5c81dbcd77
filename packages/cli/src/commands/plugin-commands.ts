/**
 * The commands model plugins add (`ModelPlugin.commands`), registered like the built-in ones:
 * arguments and options from the plugin's description, --json / text output, exit code 2 for
 * invalid values. The CLI reads shower files for them (geometry from the file or --geometry).
 */
import type { Command } from 'commander';
import { InvalidArgumentError, openShowerFile, type PluginCommand, type Showers } from '@calozoo/core';
import { UsageError } from '../exit-codes.js';
import { resolveFileGeometry } from '../file-geometry.js';
import type { CliContext } from '../context.js';

/** Registers each plugin command on `program`. */
export function registerPluginCommands(program: Command, ctx: CliContext, commands: readonly PluginCommand[]): void {
  for (const pc of commands) {
    if (program.commands.some((c) => c.name() === pc.name)) continue;
    const cmd = program.command(pc.name).description(pc.description);
    for (const a of pc.arguments ?? []) cmd.argument(a.name, a.description);
    for (const o of pc.options ?? []) cmd.option(o.flags, o.description, o.default);
    cmd.addHelpText('after', `\nExample:\n  ${pc.example}`);
    cmd.action(async (...params: unknown[]) => {
      const self = params[params.length - 1] as Command;
      const args = params.slice(0, (pc.arguments ?? []).length) as string[];
      const out = ctx.output(self);
      try {
        const r = await pc.run(args, self.opts(), {
          signal: ctx.signal,
          logger: out.logger(),
          readShowers: async (file, o = {}) => {
            const f = await openShowerFile(file);
            try {
              const geometry = resolveFileGeometry(f, o.geometry);
              const showers: Showers = f.readRange(0, Math.min(f.n, o.maxShowers ?? f.n));
              return { showers, geometry };
            } finally {
              f.close();
            }
          },
        });
        out.result(r.json, () => r.text);
      } catch (err) {
        if (err instanceof InvalidArgumentError) throw new UsageError(err.message);
        throw err;
      }
    });
  }
}
