/**
 * The model directory's `config.json`: plugin, versions, geometry, conditions, preprocessing
 * constants, components and the full resolved config (architecture.md, "Model directory").
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelFormatError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../model-dir/atomic.js';
import { getGeometry } from '../geometry/index.js';
import type { ConditionName } from '../showers.js';

/** Version of the on-disk model-directory layout that this core reads and writes. */
export const MODEL_FORMAT_VERSION = 1;

/** Contents of a model directory's config.json. */
export interface ModelDirConfig<C = unknown> {
  plugin: string;
  pluginVersion: string;
  formatVersion: number;
  geometry: string;
  conditions: ConditionName[];
  /** Constants of the preprocessing (scales, epsilons, clip ranges). */
  preprocessing: Record<string, unknown>;
  /** Component name → sub-folder. */
  components: Record<string, string>;
  /** Exported ONNX graphs, name → path. */
  onnx?: Record<string, string>;
  /** The plugin's full resolved config. */
  config: C;
  /** How the model was trained. */
  training?: Record<string, unknown>;
  /**
   * SHA-256 of every file in the component folders (`componentsDigest`), written by
   * `writeModelConfig`; loading through the registry refuses a directory whose weights no longer
   * match it. Absent in directories written before it existed (then nothing is checked).
   */
  weightsDigest?: string;
}

/** Every file under `folder`, relative paths, sorted. */
async function filesUnder(root: string, folder: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const r = path.posix.join(rel, e.name);
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  await walk(folder);
  return out.sort();
}

/** SHA-256 over the names and bytes of every file in the component folders of `dir` (the weights). */
export async function componentsDigest(dir: string, components: Record<string, string>): Promise<string> {
  const h = createHash('sha256');
  const piece = Buffer.alloc(1 << 20);
  const folders = [...new Set(Object.values(components).map((c) => c.replace(/\/+$/, '')))].sort();
  for (const folder of folders) {
    for (const f of await filesUnder(dir, folder)) {
      h.update(`${f}\0`);
      // Read in 1 MiB pieces into one buffer: reading a whole weights file at once held an extra
      // copy of the largest component (82 MB for the DS2 VAE) at the end of every save and load.
      const file = await fs.open(path.join(dir, f), 'r');
      try {
        for (;;) {
          const { bytesRead } = await file.read(piece, 0, piece.length, null);
          if (bytesRead === 0) break;
          h.update(piece.subarray(0, bytesRead));
        }
      } finally {
        await file.close();
      }
    }
  }
  return h.digest('hex');
}

/** Writes config.json into `dir` atomically, with the digest of the component files already written. */
export async function writeModelConfig(dir: string, cfg: ModelDirConfig): Promise<void> {
  const weightsDigest = await componentsDigest(dir, cfg.components);
  await writeJsonAtomic(path.join(dir, 'config.json'), { ...cfg, weightsDigest });
}

/**
 * Checks that the component files of `dir` are the ones config.json was written with.
 * @throws ModelFormatError naming the directory when they differ (a file replaced, truncated or edited)
 */
export async function verifyModelDir(dir: string, cfg: ModelDirConfig): Promise<void> {
  if (!cfg.weightsDigest) return;
  const now = await componentsDigest(dir, cfg.components);
  if (now !== cfg.weightsDigest) {
    throw new ModelFormatError(
      `${path.join(dir, 'config.json')}: the weight files in ${Object.values(cfg.components).join(', ')} are not the ones this model was saved with ` +
        `(SHA-256 ${now.slice(0, 12)}…, config.json says ${cfg.weightsDigest.slice(0, 12)}…). A file was replaced or damaged; restore it or train again.`,
    );
  }
}

/**
 * Reads and checks a model directory's config.json (format version, plugin, geometry); with
 * `plugin`, a directory written by another plugin is refused, naming the one to load it with.
 */
export async function readModelConfig<C = unknown>(dir: string, plugin?: string): Promise<ModelDirConfig<C>> {
  const file = path.join(dir, 'config.json');
  const raw = await readJson<Record<string, unknown>>(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelFormatError(`${file}: expected a JSON object.`);
  for (const key of ['plugin', 'pluginVersion', 'geometry'] as const) {
    if (typeof raw[key] !== 'string') throw new ModelFormatError(`${file}: missing or non-string "${key}"; is this a calozoo model directory?`);
  }
  if (plugin !== undefined && raw.plugin !== plugin) throw new ModelFormatError(`${dir}/config.json: written by plugin "${raw.plugin as string}", not "${plugin}"; load it with that plugin.`);
  const fv = raw.formatVersion;
  if (typeof fv !== 'number' || !Number.isInteger(fv) || fv < 1) {
    throw new ModelFormatError(`${file}: "formatVersion" must be a positive integer, found ${JSON.stringify(fv)}.`);
  }
  if (fv > MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(
      `${file}: written in model format ${fv}, but this @calozoo/core reads format ${MODEL_FORMAT_VERSION} and older. Upgrade @calozoo/core to a version that reads format ${fv}.`,
    );
  }
  try {
    getGeometry(raw.geometry as string);
  } catch (err) {
    throw new ModelFormatError(`${file}: ${(err as Error).message}`, { cause: err });
  }
  const conditions = (raw.conditions ?? ['energy']) as ConditionName[];
  return {
    plugin: raw.plugin as string,
    pluginVersion: raw.pluginVersion as string,
    formatVersion: fv,
    geometry: raw.geometry as string,
    conditions,
    preprocessing: (raw.preprocessing ?? {}) as Record<string, unknown>,
    components: (raw.components ?? {}) as Record<string, string>,
    onnx: raw.onnx as Record<string, string> | undefined,
    config: raw.config as C,
    training: raw.training as Record<string, unknown> | undefined,
    ...(typeof raw.weightsDigest === 'string' ? { weightsDigest: raw.weightsDigest } : {}),
  };
}

/** Runs `load` on a freshly built model and returns it; when loading fails the model is disposed (its tensors freed) and the error rethrown. */
export async function loadOrDispose<M extends { dispose(): void }>(model: M, load: (model: M) => Promise<unknown>): Promise<M> {
  try {
    await load(model);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
