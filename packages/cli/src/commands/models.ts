/**
 * `calozoo models`: the registered model plugins, the geometries they support, versions, and the
 * trained models they ship.
 */
import type { Command } from 'commander';
import { CalozooError, listModels } from '@calozoo/core';
import type { CliContext } from '../context.js';
import { loadPlugins } from '../plugins.js';

/** Registers the `models` command. */
export function registerModels(program: Command, ctx: CliContext): void {
  program
    .command('models')
    .description('list the registered model plugins, their versions and supported geometries')
    .addHelpText('after', '\nExample:\n  calozoo models --json\n  calozoo --plugin ./my-plugin.js models')
    .action(async (_opts, cmd: Command) => {
      const out = ctx.output(cmd);
      const report = await loadPlugins(cmd.optsWithGlobals().plugin ?? []);
      if (report.failed.length) {
        throw new CalozooError(
          'PLUGIN_NOT_FOUND',
          `could not load plugin module(s): ${report.failed.map((f) => `${f.module} (${f.reason})`).join('; ')}`,
        );
      }
      const models = listModels().map((m) => ({
        name: m.name,
        version: m.version,
        description: m.description,
        geometries: m.geometries,
        pretrained: Object.keys(m.pretrained ?? {}).map((name) => `${m.name}/${name}`),
      }));
      out.result({ models, unavailable: report.unavailable.map((u) => u.module) }, () => {
        if (models.length === 0) return 'No model plugins are installed. Install @calozoo/caloman, or pass --plugin <module>.';
        const rows = models.map(
          (m) =>
            `  ${m.name.padEnd(16)} ${m.version.padEnd(9)} ${Array.isArray(m.geometries) ? m.geometries.join(', ') : m.geometries}\n      ${m.description}` +
            (m.pretrained.length ? `\n      trained models shipped: ${m.pretrained.join(', ')} (loadPretrained('${m.pretrained[0]}'))` : ''),
        );
        const missing = report.unavailable.length ? `\nnot installed: ${report.unavailable.map((u) => u.module).join(', ')}` : '';
        return `model plugins:\n${rows.join('\n')}${missing}`;
      });
    });
}
