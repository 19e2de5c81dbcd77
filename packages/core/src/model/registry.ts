/**
 * The model registry: plugins register themselves by name on import; `loadModel(dir)`
 * dispatches on the directory's `config.json` (the directory says what it is). The registry
 * hangs off a global symbol so two copies of core agree.
 */
import { CalozooError, ConfigError, PluginNotFoundError } from '../errors.js';
import type { Geometry } from '../geometry/types.js';
import { withSeededBlocks } from '../generate/seeded.js';
import { ensureTfBackend } from '../device/select-tf.js';
import type { LoadOptions, ModelPlugin, Generator, Trainable } from './interfaces.js';
import { readModelConfig, verifyModelDir } from './model-config.js';

const KEY = Symbol.for('calozoo.registry.models');
type Store = Map<string, ModelPlugin<any>>;

function store(): Store {
  const g = globalThis as unknown as Record<symbol, Store | undefined>;
  let s = g[KEY];
  if (!s) {
    s = new Map();
    g[KEY] = s;
  }
  return s;
}

/** Registers a model plugin; re-registering the same object is a no-op, a different one under a taken name throws. */
export function registerModel(plugin: ModelPlugin<any>): void {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(plugin.name)) {
    throw new ConfigError(`plugin name "${plugin.name}" must be kebab-case (lower-case letters, digits and dashes)`);
  }
  const existing = store().get(plugin.name);
  if (existing && existing !== plugin) {
    if (existing.version === plugin.version) return; // a second copy of the same package version
    throw new CalozooError(
      'CONFIG',
      `a different model plugin is already registered as "${plugin.name}" (version ${existing.version}, now ${plugin.version}); two versions of the package are installed.`,
    );
  }
  store().set(plugin.name, plugin);
}

/** Removes a plugin from the registry (for tests). */
export function unregisterModel(name: string): boolean {
  return store().delete(name);
}

/** Returns a registered plugin, or throws PluginNotFoundError listing what is installed. */
export function getModel<C = unknown>(name: string): ModelPlugin<C> {
  const p = store().get(name);
  if (!p) throw new PluginNotFoundError(name, listModels().map((m) => m.name));
  return p as ModelPlugin<C>;
}

/** Lists the registered plugins, sorted by name. */
export function listModels(): ModelPlugin<any>[] {
  return [...store().values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Loads a model directory by dispatching on the `plugin` named in its config.json. */
export async function loadModel(dir: string, options?: LoadOptions): Promise<Generator & Trainable> {
  const cfg = await readModelConfig(dir);
  await verifyModelDir(dir, cfg);
  await ensureTfBackend();
  return withSeededBlocks(await getModel(cfg.plugin).load(dir, options));
}

/** Creates an untrained model of plugin `name` (its generation in seeded blocks, as `loadModel`'s). */
export async function createModel(name: string, config: unknown, geometry: Geometry): Promise<Generator & Trainable> {
  await ensureTfBackend();
  return withSeededBlocks(await getModel(name).create(config, geometry));
}

/** Result of importing plugin modules: which loaded and which failed and why. */
export interface PluginImportReport {
  loaded: string[];
  failed: { module: string; reason: string }[];
}

/**
 * Imports plugin modules (each registers itself on import). Missing optional modules are
 * reported, not thrown, so that the CLI can list what is installed.
 */
export async function importPlugins(modules: readonly string[]): Promise<PluginImportReport> {
  const report: PluginImportReport = { loaded: [], failed: [] };
  for (const m of modules) {
    try {
      await import(m);
      report.loaded.push(m);
    } catch (err) {
      report.failed.push({ module: m, reason: (err as Error).message.split('\n')[0] });
    }
  }
  return report;
}

/** A shipped trained model: its plugin, name and directory. */
export interface PretrainedModel {
  plugin: string;
  name: string;
  dir: string;
}

/** Every pretrained model the registered plugins ship. */
export function listPretrained(): PretrainedModel[] {
  return listModels().flatMap((p) => Object.entries(p.pretrained ?? {}).map(([name, dir]) => ({ plugin: p.name, name, dir })));
}

/**
 * The directory of a shipped trained model, by `plugin/name` (e.g. `caloman/ds1-photons`), or by
 * `name` alone when one plugin only ships a model of that name.
 * @throws CalozooError (PLUGIN_NOT_FOUND) listing what is installed when there is no such model,
 *   (CONFIG) naming the candidates when a bare name is shipped by several plugins
 */
export function pretrainedDir(name: string): string {
  const [plugin, model] = name.includes('/') ? name.split('/', 2) : [undefined, name];
  const hits = listPretrained().filter((p) => p.name === model && (plugin === undefined || p.plugin === plugin));
  if (hits.length === 0) {
    const have = listPretrained().map((p) => `${p.plugin}/${p.name}`);
    throw new CalozooError('PLUGIN_NOT_FOUND', `no pretrained model "${name}" is installed; ${have.length ? `installed: ${have.join(', ')}` : 'no registered plugin ships one (install @calozoo/caloman)'}.`);
  }
  if (hits.length > 1) {
    throw new CalozooError('CONFIG', `pretrained model "${name}" is shipped by several plugins; name one: ${hits.map((h) => `${h.plugin}/${h.name}`).join(', ')}.`);
  }
  return hits[0]!.dir;
}

/** Loads a shipped trained model through the registry (`pretrainedDir` + `loadModel`). */
export async function loadPretrained(name: string, options?: LoadOptions): Promise<Generator & Trainable> {
  return loadModel(pretrainedDir(name), options);
}
