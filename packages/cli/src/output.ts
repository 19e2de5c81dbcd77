/**
 * Where the CLI writes: results on stdout (a table, or JSON with --json), logs and progress on
 * stderr, nothing but errors with --quiet.
 */
import { ProgressReporter } from './progress.js';

/** Global output flags. */
export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** Writes results, logs and progress according to the global flags. */
export class Output {
  /** Machine-readable output requested. */
  readonly json: boolean;
  /** Nothing but errors and results. */
  readonly quiet: boolean;
  /** Extra detail (error causes, backend logs). */
  readonly verbose: boolean;

  /** Creates an output from the global flags. */
  constructor(o: OutputOptions = {}) {
    this.json = !!o.json;
    this.quiet = !!o.quiet;
    this.verbose = !!o.verbose;
  }

  /** A log line on stderr (suppressed by --quiet). */
  log(message: string): void {
    if (!this.quiet) process.stderr.write(message + '\n');
  }

  /** A warning on stderr (always shown). */
  warn(message: string): void {
    process.stderr.write(`warning: ${message}\n`);
  }

  /** The command's result: JSON on stdout with --json, otherwise the human text. */
  result(value: unknown, human: () => string): void {
    if (this.json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
    else process.stdout.write(human() + '\n');
  }

  /** A progress reporter for `total` units of `label` work. */
  progress(label: string, total?: number, unit = 'showers'): ProgressReporter {
    return new ProgressReporter(label, total, unit, { enabled: !this.quiet, tty: !!process.stderr.isTTY && !this.json });
  }

  /** A logger object for libraries. */
  logger(): { info(m: string): void; warn(m: string): void; debug(m: string): void } {
    return {
      info: (m) => this.log(m),
      warn: (m) => this.warn(m),
      debug: (m) => {
        if (this.verbose) this.log(m);
      },
    };
  }
}
