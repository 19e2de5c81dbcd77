/**
 * The `calozoo` program: global flags, command registration, and the mapping from errors to
 * documented exit codes (0 ok, 1 failure, 2 usage, 130 interrupted).
 */
import { Command, CommanderError } from 'commander';
import { CalozooError, listModels, type PluginCommand } from '@calozoo/core';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes.js';
import { Output } from './output.js';
import type { CliContext } from './context.js';
import { registerInfo } from './commands/info.js';
import { registerModels } from './commands/models.js';
import { registerSimulate } from './commands/simulate.js';
import { registerTrain } from './commands/train.js';
import { registerGenerate } from './commands/generate.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerDemo } from './commands/demo.js';
import { registerMerge } from './commands/merge.js';
import { registerPluginCommands } from './commands/plugin-commands.js';
import { loadPlugins } from './plugins.js';
import { registerExport } from './commands/export.js';
import { registerBench } from './commands/bench.js';
import { registerCompare } from './commands/compare.js';
import { CLI_VERSION } from './version.js';

/**
 * Builds the program with every command registered, the plugins' own `commands` last.
 * @internal (tests drive the CLI through it; users run `main` or the `calozoo` binary)
 */
export function buildProgram(ctx: CliContext, pluginCommands: readonly PluginCommand[] = listModels().flatMap((p) => p.commands ?? [])): Command {
  const program = new Command();
  program
    .name('calozoo')
    .description('Fast calorimeter shower simulation: simulate, train, generate, evaluate and compare generative models.')
    .version(CLI_VERSION, '-V, --version')
    .option('--json', 'print machine-readable JSON results on stdout')
    .option('-q, --quiet', 'no progress or log lines, only results and errors')
    .option('-v, --verbose', 'more detail: error causes, backend start-up logs')
    .option('--plugin <module>', 'extra model-plugin module to load, repeatable (also CALOZOO_PLUGINS, comma-separated)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  registerSimulate(program, ctx);
  registerInfo(program, ctx);
  registerModels(program, ctx);
  registerTrain(program, ctx);
  registerGenerate(program, ctx);
  registerEvaluate(program, ctx);
  registerCompare(program, ctx);
  registerMerge(program, ctx);
  registerExport(program, ctx);
  registerBench(program, ctx);
  registerDemo(program, ctx);
  registerPluginCommands(program, ctx, pluginCommands);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI with the given arguments and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT_INTERRUPTED);
    process.stderr.write('\ncalozoo: interrupted, finishing the current step and cleaning up (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const ctx: CliContext = {
    signal: controller.signal,
    output: (cmd) => new Output(cmd.optsWithGlobals()),
    argv: [...argv],
  };
  // Plugins first (those named by --plugin too), so that their commands are part of the program.
  const extra = argv.flatMap((a, i) => (a === '--plugin' && argv[i + 1] ? [argv[i + 1]!] : a.startsWith('--plugin=') ? [a.slice(9)] : []));
  await loadPlugins(extra);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return controller.signal.aborted ? EXIT_INTERRUPTED : EXIT_OK;
  } catch (err) {
    return reportError(err, argv.includes('--verbose') || argv.includes('-v'), controller.signal.aborted);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function reportError(err: unknown, verbose: boolean, aborted: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT_OK;
    return EXIT_USAGE;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`calozoo: ${err.message}\n(run with --help for usage)\n`);
    return EXIT_USAGE;
  }
  if (err instanceof CalozooError && err.code === 'ABORTED') {
    process.stderr.write(`calozoo: ${err.message}\n`);
    return EXIT_INTERRUPTED;
  }
  const e = err as Error;
  const prefix = err instanceof CalozooError ? `calozoo: ${e.message}` : `calozoo: ${e?.message ?? String(err)}`;
  process.stderr.write(prefix + '\n');
  if (verbose) {
    if (e?.stack) process.stderr.write(e.stack + '\n');
    let cause = (e as { cause?: unknown })?.cause;
    while (cause) {
      process.stderr.write(`caused by: ${(cause as Error)?.stack ?? String(cause)}\n`);
      cause = (cause as { cause?: unknown })?.cause;
    }
  }
  return aborted ? EXIT_INTERRUPTED : EXIT_FAILURE;
}
