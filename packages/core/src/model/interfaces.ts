/**
 * The contracts every model package implements: `Generator`, `Trainable` and `ModelPlugin`
 * (architecture.md, "Interfaces"; `Sampler` came with the BIB-AE, its first user; `Conditioner`
 * comes back with the first model that needs more than core's representations). Between packages only plain
 * typed arrays travel (`Showers`, `Conditions`); tensors stay inside model and flow code.
 */
import type { ConditionName, Conditions, Showers } from '../showers.js';
import type { Geometry } from '../geometry/types.js';
import type { Rng } from '../rng.js';

/**
 * Draws latent vectors, optionally conditioned (architecture.md "Interfaces"): a standard normal,
 * a kernel density estimate of training latents, or a normalising flow. Only plain arrays cross
 * it, so a model can run its sampler on either runtime.
 */
export interface Sampler {
  /** What it is (`normal`, `kde`, `flow`, …), for model cards and logs. */
  readonly kind: string;
  /** Dimensions of one latent vector. */
  readonly dim: number;
  /** `n` vectors, row-major [n·dim], from `rng`; `condition` [n·k] holds each row's conditioning values where the sampler uses them. */
  sample(n: number, rng: Rng, condition?: Float32Array): Float32Array;
}

/** What a generator is: plugin, version, geometry and the conditions it takes. */
export interface ModelCard {
  /** Plugin name (kebab-case, permanent), e.g. `caloman`. */
  plugin: string;
  /** Version of the plugin package that wrote the model. */
  pluginVersion: string;
  /** Geometry id. */
  geometry: string;
  /** Conditions the model needs, always starting with `energy`. */
  conditions: ConditionName[];
  /** Free-text description. */
  description?: string;
}

/** A progress event of long work (training, generation, evaluation). */
export interface ProgressEvent {
  /** What is running, e.g. `train:vae`, `generate`. */
  phase: string;
  /** Units done so far (see `unit`). */
  done: number;
  /** Total units, when known. */
  total?: number;
  /** What `done` and `total` count: `steps`, `epochs`, `showers`… (default: the phase's own unit). */
  unit?: string;
  /** Estimated seconds until the whole job ends (within a deadline when one is set). */
  etaSeconds?: number;
  /** Extra numbers to display (loss, learning rate…). */
  values?: Record<string, number>;
}

/** Callback for progress events. */
export type ProgressCallback = (e: ProgressEvent) => void;

/** A minimal logger; libraries never write to the console themselves. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug?(message: string): void;
}

/** Options of `Generator.generate`. */
export interface GenerateOptions {
  /** Seed of the generation; the same seed and conditions give the same showers. */
  seed: number;
  /**
   * Index of the request's first seeded block (`GENERATION_BLOCK` rows each; default 0), for
   * shards and block-by-block writers: the registry's models give block b the seed
   * `blockSeed(seed, b)`. A plugin's own `generate` ignores it.
   */
  firstBlock?: number;
  /** Showers per network call (default chosen by the model). */
  batchSize?: number;
  /** Runtime for the networks: TensorFlow.js or ONNX Runtime (default: the model's fastest). */
  runtime?: 'tfjs' | 'onnx';
  /** CPU threads of the ONNX Runtime session (default: all cores); TF.js sets its threads at start-up. */
  threads?: number;
  /** Stops generation early with an AbortedError. */
  signal?: AbortSignal;
  /** Progress in showers generated. */
  onProgress?: ProgressCallback;
}

/** Generates showers for one geometry. */
export interface Generator {
  /** What the model is. */
  readonly card: ModelCard;
  /** Generates one shower per condition row, in MeV. */
  generate(c: Conditions, options: GenerateOptions): Promise<Showers>;
  /** Frees weights and sessions. */
  dispose(): void;
}

/** One exported graph: its file (relative to the model directory) and its inputs and outputs. */
export interface OnnxGraphInfo {
  file: string;
  inputs: Record<string, (number | string)[]>;
  outputs: Record<string, (number | string)[]>;
  /** What the graph computes. */
  description: string;
}

/** `onnx/metadata.json` of an exported model. */
export interface OnnxExportMetadata {
  format: 'calozoo-onnx';
  formatVersion: number;
  plugin: string;
  pluginVersion: string;
  geometry: string;
  opset: number;
  /** Digest of the model directory the graphs were built from: SHA-256 of its config.json, which holds the weight files' `weightsDigest` (a stale export is not used; see `ModelSessions`). */
  weightsDigest: string;
  /** The graphs, by role; `generator` is the main one. */
  graphs: Record<string, OnnxGraphInfo>;
  /** What runs outside the graphs (in JavaScript) and why. */
  glue: string;
}

/** A generator whose generation networks can be exported to ONNX (`calozoo export`). */
export interface OnnxExportable {
  /** Writes `onnx/*.onnx` and `onnx/metadata.json` into the model directory `dir` (atomically per file). */
  exportOnnx(dir: string): Promise<OnnxExportMetadata>;
}

/** Whether a generator can export ONNX graphs. */
export function isOnnxExportable(g: unknown): g is OnnxExportable {
  return typeof (g as Partial<OnnxExportable> | null)?.exportOnnx === 'function';
}

/** Any source of training showers: an in-memory set or a file read in ranges. */
export interface ShowerSource {
  /** Number of showers. */
  readonly n: number;
  /** Voxels per shower. */
  readonly voxels: number;
  /** Reads showers [start, end). */
  readRange(start: number, end: number): Showers | Promise<Showers>;
}

/** Options of `Trainable.fit`. */
export interface FitOptions {
  /** Seed of initialisation, shuffling and splits. */
  seed: number;
  /** Maximum number of epochs (per training phase for multi-network models). */
  epochs?: number;
  /** Wall-clock limit in seconds for the whole fit. */
  timeLimitSeconds?: number;
  /**
   * With a time limit, the fewest epochs every training phase must get (default 1; 0 turns the
   * check off). Each phase times its first steps; when its share of the time cannot fit this many
   * epochs the fit stops there with a `TrainingBudgetError` giving the measured speed and the time
   * it would need, instead of writing a model with an untrained network.
   */
  minEpochsPerPhase?: number;
  /** Fraction of the data held out for validation (default 0.2). */
  validationFraction?: number;
  /**
   * Showers that take more than this many MiB (float32) are streamed from their file in blocks
   * instead of being read into memory, where the model supports it (default 1024).
   */
  memoryBudgetMiB?: number;
  /** Directory for resumable checkpoints (`checkpoints/` inside the model directory). */
  checkpointDir?: string;
  /** Seconds between checkpoints (default 60; one is always written at the end of a phase). */
  checkpointEverySeconds?: number;
  /** Resume from the latest checkpoint in `checkpointDir`. */
  resume?: boolean;
  /** Stops training after the next step; a checkpoint is written first. */
  signal?: AbortSignal;
  /** Progress events (epochs and steps, losses). */
  onProgress?: ProgressCallback;
  /** Where to send log lines. */
  logger?: Logger;
}

/** One row of the training history. */
export interface HistoryRow {
  phase: string;
  epoch: number;
  trainLoss: number;
  validationLoss?: number;
  learningRate?: number;
  seconds: number;
  /** Further per-epoch numbers (one mean loss per update of a multi-optimiser step, metrics…). */
  values?: Record<string, number>;
}

/**
 * Why training (or one phase of it) stopped: its epochs ran out, its time share ran out, early
 * stopping, an abort signal, a non-finite or diverging loss (weights rolled back to the last good
 * epoch), or a phase's own target reached (e.g. a classifier at accuracy 1).
 */
export type StopReason = 'epochs' | 'time' | 'early-stopping' | 'abort' | 'divergence' | 'target';

/** What `fit` returns. */
export interface FitReport {
  /** Per-epoch losses of every phase. */
  history: HistoryRow[];
  /** Wall-clock seconds spent. */
  seconds: number;
  /** Why training stopped. */
  stoppedBy: StopReason;
  /** Number of training showers and validation showers. */
  trainSize: number;
  validationSize: number;
}

/** A model that can be trained and saved. */
export interface Trainable {
  /** Trains on `data` (validation split taken from it). */
  fit(data: ShowerSource, options: FitOptions): Promise<FitReport>;
  /** Writes the model directory (config.json + one folder per component). */
  save(dir: string): Promise<void>;
}

/** Options of `ModelPlugin.load`. */
export interface LoadOptions {
  /** Force a TensorFlow.js backend (otherwise the device layer's choice). */
  backend?: string;
  /** Where to send log lines. */
  logger?: Logger;
}

/** What a plugin command gets from the CLI: abort signal, logger, and shower files read the CLI's way. */
export interface PluginCommandIo {
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Progress and log lines (silent under --quiet). */
  logger: Logger;
  /** Reads up to `maxShowers` showers of an HDF5 file and its geometry (from the file, or `geometry` when it does not say). */
  readShowers(file: string, options?: { geometry?: string; maxShowers?: number }): Promise<{ showers: Showers; geometry: Geometry }>;
}

/** A command a plugin adds to the CLI, `calozoo <name> [arguments] [options]`. */
export interface PluginCommand {
  /** Command name (kebab-case). */
  name: string;
  /** One line for `calozoo --help`. */
  description: string;
  /** Positional arguments in commander syntax, e.g. `<file>`, with their descriptions. */
  arguments?: readonly { name: string; description: string }[];
  /** Options in commander syntax, e.g. `--k <list>`, with descriptions and string defaults. */
  options?: readonly { flags: string; description: string; default?: string }[];
  /** A working example command line (shown under "Example:"). */
  example: string;
  /**
   * Runs the command with its positional arguments and parsed options (strings, or true for
   * flags); returns the result as JSON (for --json) and as text. Throw `InvalidArgumentError`
   * for bad values.
   */
  run(args: string[], options: Record<string, string | boolean | undefined>, io: PluginCommandIo): Promise<{ json: unknown; text: string }>;
}

/** What a model package registers. */
export interface ModelPlugin<C = unknown> {
  /** Permanent kebab-case name written into config.json. */
  readonly name: string;
  /** Package version. */
  readonly version: string;
  /** One line about the model. */
  readonly description: string;
  /** Geometry ids the plugin supports, or 'any'. */
  readonly geometries: readonly string[] | 'any';
  /** Full default config for a geometry. */
  defaultConfig(geometry: Geometry): C;
  /** Validates a raw config (rejecting unknown keys); throws ConfigError naming `source`. */
  parseConfig(raw: unknown, source: string): C;
  /** Creates an untrained model. */
  create(config: C, geometry: Geometry): Promise<Generator & Trainable>;
  /** Loads a trained model directory. */
  load(dir: string, options?: LoadOptions): Promise<Generator & Trainable>;
  /**
   * Intra-op threads native TensorFlow should train this model with on a machine of `cores`
   * cores, where measured (undefined: TensorFlow's default, one per core). `calozoo train` uses it
   * unless `--threads` or `CALOZOO_TF_THREADS` says otherwise.
   */
  trainingThreads?(cores: number): number | undefined;
  /** Trained model directories shipped with the package, by name (e.g. `ds1-photons` → absolute path). */
  readonly pretrained?: Readonly<Record<string, string>>;
  /** Extra CLI commands (e.g. CaloMan's `intrinsic-dim`). */
  readonly commands?: readonly PluginCommand[];
}
