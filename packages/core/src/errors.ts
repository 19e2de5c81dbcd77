/**
 * Error classes of calozoo. Every error thrown at a boundary (files, configs, public
 * functions) is a `CalozooError` with a stable `code` that scripts and the CLI can rely on.
 */

/** Stable, documented error codes. */
export type CalozooErrorCode =
  | 'DATA_FORMAT'
  | 'MODEL_FORMAT'
  | 'CONFIG'
  | 'BACKEND_UNAVAILABLE'
  | 'PLUGIN_NOT_FOUND'
  | 'GEOMETRY'
  | 'INVALID_ARGUMENT'
  | 'ABORTED'
  | 'TRAINING_DIVERGED'
  | 'TRAINING_BUDGET'
  | 'INTERNAL';

/** Base class of every error calozoo throws on purpose. */
export class CalozooError extends Error {
  /** Stable machine-readable code. */
  readonly code: CalozooErrorCode;

  /** Creates an error with a stable code and an optional cause. */
  constructor(code: CalozooErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Details attached to a data-format error: which file and dataset, what was expected and found. */
export interface DataFormatDetails {
  file?: string;
  dataset?: string;
  expected?: string;
  found?: string;
}

/** A file or array whose content or shape is not what calozoo expects. */
export class DataFormatError extends CalozooError {
  /** Where and what went wrong. */
  readonly details: DataFormatDetails;

  /** Creates a data-format error; `details` names file, dataset, expected and found. */
  constructor(message: string, details: DataFormatDetails = {}, options?: { cause?: unknown }) {
    super('DATA_FORMAT', message, options);
    this.details = details;
  }
}

/** A model directory that cannot be read (missing file, newer format, wrong geometry). */
export class ModelFormatError extends CalozooError {
  /** Creates a model-format error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_FORMAT', message, options);
  }
}

/** An invalid configuration (unknown key, wrong type, out-of-range value). */
export class ConfigError extends CalozooError {
  /** Creates a configuration error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG', message, options);
  }
}

/** One candidate runtime or backend that could not start, and why. */
export interface BackendFailure {
  name: string;
  reason: string;
}

/** A requested backend that cannot start; carries every failure seen while resolving. */
export class BackendUnavailableError extends CalozooError {
  /** Every candidate that was tried and failed. */
  readonly failures: BackendFailure[];

  /** Creates the error from the list of failed candidates. */
  constructor(message: string, failures: BackendFailure[], options?: { cause?: unknown }) {
    super('BACKEND_UNAVAILABLE', message, options);
    this.failures = failures;
  }
}

/** A model plugin that is not registered. */
export class PluginNotFoundError extends CalozooError {
  /** Names of the plugins that are installed. */
  readonly available: string[];

  /** Creates the error, listing the plugins that are available. */
  constructor(name: string, available: string[]) {
    super(
      'PLUGIN_NOT_FOUND',
      `model plugin "${name}" is not registered. Installed plugins: ${
        available.length ? available.join(', ') : '(none)'
      }. Install the package that provides it, or pass --plugin <module>.`,
    );
    this.available = available;
  }
}

/** An invalid geometry definition or an unknown geometry id. */
export class GeometryError extends CalozooError {
  /** Creates a geometry error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super('GEOMETRY', message, options);
  }
}

/** An invalid argument passed to a public function. */
export class InvalidArgumentError extends CalozooError {
  /** Creates an invalid-argument error. */
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** Work stopped through an AbortSignal. */
export class AbortedError extends CalozooError {
  /** Creates an aborted error. */
  constructor(message = 'the operation was aborted') {
    super('ABORTED', message);
  }
}

/** Throws an internal error ("this is a bug") when `condition` is false. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new CalozooError('INTERNAL', `internal invariant failed: ${message}. This is a bug in calozoo; please report it.`);
  }
}

/** Training stopped on a non-finite or exploding loss; the weights went back to the last good epoch. */
export class TrainingDivergedError extends CalozooError {
  /** Creates the error; the message says where it diverged and how to resume. */
  constructor(message: string) {
    super('TRAINING_DIVERGED', message);
  }
}

/** The time limit cannot give a training phase its minimum number of epochs; nothing was written but checkpoints. */
export class TrainingBudgetError extends CalozooError {
  /** Creates the error; the message gives the measured speed, the estimated need and the fixes. */
  constructor(
    message: string,
    /** The phase, its measured seconds per step, and the seconds it needs and has. */
    readonly detail: { phase: string; secondsPerStep: number; needSeconds: number; haveSeconds: number; suggestedTimeSeconds?: number },
  ) {
    super('TRAINING_BUDGET', message);
  }
}
