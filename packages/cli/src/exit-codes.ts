/**
 * Exit codes of the `calozoo` command, documented in the CLI README:
 * 0 success, 1 failure (bad data, model or runtime error), 2 usage error (bad flags or
 * arguments), 130 interrupted (Ctrl-C) after cleaning up.
 */
export const EXIT_OK = 0;
/** A command failed (bad file, bad model, runtime error). */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong (unknown flag, missing argument, invalid value). */
export const EXIT_USAGE = 2;
/** Interrupted by SIGINT (Ctrl-C); partial outputs were removed, checkpoints kept. */
export const EXIT_INTERRUPTED = 130;

/** An error in how the command was called (maps to exit code 2). */
export class UsageError extends Error {
  /** Creates a usage error with a message that says what to pass instead. */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
