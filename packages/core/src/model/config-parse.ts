/**
 * Helpers for plugins' `parseConfig`: merge over defaults and reject unknown keys with the
 * list of valid ones (style guide, "Configuration").
 */
import { ConfigError } from '../errors.js';

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Deep-merges `raw` over `defaults`, throwing ConfigError for keys that the defaults do not
 * have or values whose JSON type differs. `source` names the file in messages.
 */
export function mergeConfig<C>(defaults: C, raw: unknown, source: string, keyPath = ''): C {
  if (raw === undefined) return structuredClone(defaults);
  if (!isPlainObject(defaults)) {
    const want = Array.isArray(defaults) ? 'array' : defaults === null ? 'null' : typeof defaults;
    const got = Array.isArray(raw) ? 'array' : raw === null ? 'null' : typeof raw;
    if (want !== got && defaults !== null) throw new ConfigError(`${source}: "${keyPath}" must be a ${want}, found ${got} (${JSON.stringify(raw)}).`);
    return structuredClone(raw) as C;
  }
  if (!isPlainObject(raw)) throw new ConfigError(`${source}: "${keyPath || '(root)'}" must be an object, found ${JSON.stringify(raw)}.`);
  const out: Record<string, unknown> = {};
  const d = defaults as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(key in d)) {
      throw new ConfigError(`${source}: unknown key "${keyPath ? keyPath + '.' : ''}${key}". Valid keys are: ${Object.keys(d).join(', ')}.`);
    }
  }
  for (const key of Object.keys(d)) out[key] = mergeConfig(d[key], raw[key], source, keyPath ? `${keyPath}.${key}` : key);
  return out as C;
}

/** Applies `key.path=value` overrides (value parsed as JSON when possible) to a config object. */
export function applyOverrides<C>(config: C, overrides: readonly string[], source = '--set'): C {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${source}: "${o}" is not of the form key=value.`);
    const keys = o.slice(0, eq).split('.');
    const text = o.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    let node: Record<string, unknown> = out;
    for (let i = 0; i < keys.length - 1; i++) {
      const next = node[keys[i]];
      if (!isPlainObject(next)) throw new ConfigError(`${source}: "${keys.slice(0, i + 1).join('.')}" is not a config section.`);
      node = next;
    }
    node[keys[keys.length - 1]] = value;
  }
  return mergeConfig(config, out, source);
}

/**
 * `raw` (a saved config) with every key of `legacy` that it lacks set to legacy's value, nested
 * sections filled key by key (a missing section gets legacy's keys, the defaults the rest): the
 * values a model was trained with for config keys added after it was saved, where today's
 * defaults differ. A non-object `raw` is returned as it is (the parse then reports it).
 */
export function withLegacyValues(raw: unknown, legacy: Record<string, unknown>): unknown {
  if (!isPlainObject(raw)) return raw;
  const out: Record<string, unknown> = { ...raw };
  for (const [key, value] of Object.entries(legacy)) {
    if (!(key in out)) out[key] = structuredClone(value);
    else if (isPlainObject(value) && isPlainObject(out[key])) out[key] = withLegacyValues(out[key], value);
  }
  return out;
}
