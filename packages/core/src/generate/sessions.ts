/**
 * The ONNX side of the generation runtime: a model's graphs run from its export (`onnx/` in the
 * model directory, written by `calozoo export`) while that export was made from the weights and
 * settings the model holds, else from the same graphs built in memory, with one warning that says
 * how to refresh the export. Sessions are opened once and reopened when the thread count or the
 * settings the graphs depend on change.
 *
 * An export records the digest of the model directory it was made from (`modelDirDigest`): the
 * SHA-256 of its config.json, whose `weightsDigest` covers the weight files (checked when
 * `loadModel` loads the directory) and which holds every setting. The digest is computed once per
 * load or save, so loading and generating hash the weight files once.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { ModelCard, OnnxExportMetadata, OnnxGraphInfo } from '../model/interfaces.js';
import { componentsDigest, type ModelDirConfig } from '../model/model-config.js';
import { writeFileAtomic, writeJsonAtomic } from '../model-dir/atomic.js';
import { createOrtSession, type OrtSession } from '../onnx/session.js';
import type { OnnxModelMetadata } from '../onnx/types.js';

/** Version of the `onnx/` layout that `ModelSessions.export` writes and reads. */
const EXPORT_FORMAT_VERSION = 1;
/** An export's metadata, relative to the model directory. */
const METADATA_FILE = path.join('onnx', 'metadata.json');

/**
 * The digest an ONNX export of `dir` records: SHA-256 over its config.json, whose `weightsDigest`
 * stands for the weight files; a config.json without one (older directories) has the component
 * files hashed in as well.
 */
async function modelDirDigest(dir: string): Promise<string> {
  const bytes = await fs.readFile(path.join(dir, 'config.json'));
  const h = createHash('sha256').update(bytes);
  const cfg = JSON.parse(bytes.toString('utf8')) as Partial<ModelDirConfig>;
  if (typeof cfg.weightsDigest !== 'string') h.update(await componentsDigest(dir, cfg.components ?? {}));
  return h.digest('hex');
}

/** One graph a model generates with: where an export keeps it, what it takes and gives, how to build it. */
export interface GenerationGraph extends OnnxGraphInfo {
  /** The graph built from the weights and settings in memory, as ONNX bytes (`metadata` goes into exported files). */
  build(metadata?: OnnxModelMetadata): Uint8Array;
  /** Intra-op threads of its session whatever `open` is asked for (default: `open`'s). */
  threads?: number;
}

/** What `ModelSessions` needs from its model. */
export interface ModelSessionsOptions<G extends string> {
  /** Plugin, version and geometry (written into exports; the plugin names its warnings). */
  card: Pick<ModelCard, 'plugin' | 'pluginVersion' | 'geometry'>;
  /** ONNX opset of the graphs. */
  opset: number;
  /** What runs outside the graphs (in JavaScript), for the export's metadata. */
  glue: string;
  /** The graphs by role, read whenever sessions are opened or exported (so they see the current weights). */
  graphs(): Record<G, GenerationGraph>;
  /** The settings the graphs depend on that can change in memory (default: none); sessions reopen when it changes. */
  settingsKey?(): string;
  /** Where the stale-export warning goes (the model's logger). */
  warn(message: string): void;
}

/** Open sessions of every graph of a model. */
export interface GenerationSessions<G extends string> {
  /** One session per graph role. */
  sessions: Record<G, OrtSession>;
  /** Where the graphs came from: the exported files, or built in memory from the loaded weights. */
  source: 'files' | 'memory';
  /** Intra-op threads of the graphs without a fixed count. */
  threads: number;
  /** `settingsKey()` the sessions were opened for. */
  key: string;
}

/**
 * A model's onnxruntime sessions and ONNX export: `setDir` when the weights are those of a model
 * directory (after loading or saving) or no longer any directory's (after training), `open` to
 * generate, `export` for `calozoo export`, `release` when the model is disposed.
 */
export class ModelSessions<G extends string> {
  private dir: string | null = null;
  /** `settingsKey()` when the model was bound to `dir` (an export of `dir` is built for it). */
  private dirKey = '';
  private digest: Promise<string> | null = null;
  private warned = false;
  private current: Promise<GenerationSessions<G>> | null = null;

  /** Sessions for the model that `options` describes; nothing is opened until `open`. */
  constructor(private readonly options: ModelSessionsOptions<G>) {}

  /** Binds the model to the directory whose weights and settings it now holds, or to none (`null`); releases the sessions. */
  setDir(dir: string | null): void {
    this.release();
    this.dir = dir === null ? null : path.resolve(dir);
    this.dirKey = this.key();
    this.digest = null;
    this.warned = false;
  }

  /** Sessions of every graph (opened once; reopened when `threads` or the settings key changes). */
  async open(threads?: number): Promise<GenerationSessions<G>> {
    const key = this.key();
    if (this.current) {
      const open = await this.current;
      if ((threads === undefined || open.threads === threads) && open.key === key) return open;
      this.release();
    }
    const opening = this.openNew(key, threads);
    this.current = opening;
    opening.catch(() => {
      if (this.current === opening) this.current = null;
    });
    return opening;
  }

  /** Closes the open sessions (the next `open` opens new ones). */
  release(): void {
    const s = this.current;
    this.current = null;
    s?.then((o) => Promise.all(Object.values<OrtSession>(o.sessions).map((x) => x.dispose()))).catch(() => undefined);
  }

  /**
   * Writes every graph, built from the weights in memory, and `onnx/metadata.json` with the
   * directory's digest into the model directory `dir`; the model's own directory then generates
   * from the files.
   * @throws InvalidArgumentError if `dir` is the model's directory but its settings changed in memory since (save it first)
   */
  async export(dir: string): Promise<OnnxExportMetadata> {
    const own = path.resolve(dir) === this.dir;
    if (own && this.key() !== this.dirKey) {
      throw new InvalidArgumentError(`${this.options.card.plugin}: the model's settings changed since ${dir} was loaded or saved; save the model before exporting it.`);
    }
    const { card, opset, glue } = this.options;
    const props = { plugin: card.plugin, pluginVersion: card.pluginVersion, geometry: card.geometry };
    const graphs: Record<string, OnnxGraphInfo> = {};
    for (const [role, g] of Object.entries<GenerationGraph>(this.options.graphs())) {
      await writeFileAtomic(path.join(dir, g.file), g.build({ docString: g.description, props }));
      graphs[role] = { file: g.file, inputs: g.inputs, outputs: g.outputs, description: g.description };
    }
    const weightsDigest = await (own ? this.dirDigest() : modelDirDigest(dir));
    const meta: OnnxExportMetadata = { format: 'calozoo-onnx', formatVersion: EXPORT_FORMAT_VERSION, ...props, opset, weightsDigest, graphs, glue };
    await writeJsonAtomic(path.join(dir, METADATA_FILE), meta);
    if (own) {
      // The digest stays: config.json is unchanged. The next `open` finds the new files.
      this.release();
      this.warned = false;
    }
    return meta;
  }

  private key(): string {
    return this.options.settingsKey?.() ?? '';
  }

  /** The digest of the bound directory, computed once per binding. */
  private dirDigest(): Promise<string> {
    const p = (this.digest ??= modelDirDigest(this.dir!));
    p.catch(() => {
      if (this.digest === p) this.digest = null;
    });
    return p;
  }

  /** Whether the bound directory has an export made from its current weights and settings; warns once when it has a stale one. */
  private async exportIsCurrent(key: string): Promise<boolean> {
    const dir = this.dir;
    if (!dir || key !== this.dirKey) return false;
    let meta: Partial<OnnxExportMetadata> | null = null;
    try {
      meta = JSON.parse(await fs.readFile(path.join(dir, METADATA_FILE), 'utf8')) as Partial<OnnxExportMetadata>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    }
    const current = meta?.format === 'calozoo-onnx' && meta.formatVersion === EXPORT_FORMAT_VERSION && meta.weightsDigest === (await this.dirDigest().catch(() => null));
    if (!current && !this.warned) {
      this.warned = true;
      this.options.warn(`${this.options.card.plugin}: ${path.join(dir, 'onnx')} was exported from other weights or settings than ${dir} has now; generating from graphs built in memory. Run \`calozoo export ${dir}\` to refresh it.`);
    }
    return current;
  }

  private async openNew(key: string, threads?: number): Promise<GenerationSessions<G>> {
    const files = await this.exportIsCurrent(key);
    const sessions = {} as Record<G, OrtSession>;
    try {
      for (const [role, g] of Object.entries<GenerationGraph>(this.options.graphs())) {
        const t = g.threads ?? threads;
        sessions[role as G] = await createOrtSession(files ? path.join(this.dir!, g.file) : g.build(), t === undefined ? {} : { threads: t });
      }
    } catch (err) {
      await Promise.all(Object.values<OrtSession>(sessions).map((s) => s.dispose()));
      throw err;
    }
    return { sessions, source: files ? 'files' : 'memory', threads: threads ?? availableParallelism(), key };
  }
}
