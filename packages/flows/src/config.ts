/**
 * The serialisable description of a flow: dimensions, seed and the list of layers. It is the
 * constructor argument of `Flow` and is written verbatim to `config.json`, so a saved directory
 * rebuilds the same object (diffusers' "the config is the constructor").
 */
import { ConfigError, Rng } from '@calozoo/core';
import type { Bijector } from './bijector.js';
import { ActNorm } from './actnorm.js';
import { AutoregressiveLayer } from './autoregressive.js';
import { BatchNorm } from './batch-norm.js';
import { CouplingLayer } from './coupling.js';
import type { ElementwiseConfig } from './elementwise.js';
import { ElementwiseLayer } from './elementwise-layer.js';
import { LuLinear } from './lu-linear.js';
import { Permutation } from './permutation.js';

/** Version of the flow's `config.json` + `weights.safetensors` layout; loaders refuse newer ones. */
export const FLOW_FORMAT_VERSION = 1;

/** One layer of a flow, in the order the data → noise direction applies them. */
export type LayerConfig =
  | { type: 'coupling'; identityFeatures: 'even' | 'odd'; transform: ElementwiseConfig; hiddenFeatures: number; numBlocks: number }
  | { type: 'autoregressive'; transform: ElementwiseConfig; hiddenFeatures: number; numBlocks: number }
  | { type: 'elementwise'; transform: ElementwiseConfig; hiddenFeatures: number }
  | { type: 'permutation'; indices: number[] }
  | { type: 'lu-linear' }
  | { type: 'actnorm' }
  | { type: 'batch-norm'; momentum: number; eps: number };

/** Full, resolved configuration of a flow. */
export interface FlowConfig {
  formatVersion: number;
  /** Number of data features. */
  dim: number;
  /** Number of context features (0 for an unconditional flow). */
  contextDim: number;
  /** Seed of the weight initialisation. */
  seed: number;
  layers: LayerConfig[];
}

const LAYER_KEYS: Record<LayerConfig['type'], string[]> = {
  coupling: ['identityFeatures', 'transform', 'hiddenFeatures', 'numBlocks'],
  autoregressive: ['transform', 'hiddenFeatures', 'numBlocks'],
  elementwise: ['transform', 'hiddenFeatures'],
  permutation: ['indices'],
  'lu-linear': [],
  actnorm: [],
  'batch-norm': ['momentum', 'eps'],
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, valid: string[], where: string, source: string): void {
  for (const k of Object.keys(obj)) {
    if (!valid.includes(k)) throw new ConfigError(`${source}: unknown key "${k}" in ${where}. Valid keys are: ${valid.join(', ')}.`);
  }
  for (const k of valid) if (!(k in obj)) throw new ConfigError(`${source}: ${where} is missing "${k}".`);
}

function positiveInt(v: unknown, where: string, source: string, min = 1): number {
  if (!Number.isInteger(v) || (v as number) < min) throw new ConfigError(`${source}: ${where} must be an integer ≥ ${min}, got ${JSON.stringify(v)}.`);
  return v as number;
}

function parseTransform(v: unknown, where: string, source: string): ElementwiseConfig {
  if (!isRecord(v)) throw new ConfigError(`${source}: ${where} must be an object like {"kind": "rqs", "bins": 8, "tailBound": 1}.`);
  if (v.kind === 'affine') {
    checkKeys(v, ['kind'], where, source);
    return { kind: 'affine' };
  }
  if (v.kind === 'rqs') {
    checkKeys(v, ['kind', 'bins', 'tailBound'], where, source);
    if (!(typeof v.tailBound === 'number' && v.tailBound > 0)) throw new ConfigError(`${source}: ${where}.tailBound must be > 0.`);
    return { kind: 'rqs', bins: positiveInt(v.bins, `${where}.bins`, source), tailBound: v.tailBound };
  }
  throw new ConfigError(`${source}: ${where}.kind is ${JSON.stringify(v.kind)}. Valid choices are: affine, rqs.`);
}

/**
 * Validates a raw (JSON) flow config, rejecting unknown keys and newer formats.
 * @param source file or caller name used in error messages
 * @throws ConfigError naming `source`, the key and the valid choices
 */
export function parseFlowConfig(raw: unknown, source = 'flow config'): FlowConfig {
  if (!isRecord(raw)) throw new ConfigError(`${source}: expected a JSON object.`);
  checkKeys(raw, ['formatVersion', 'dim', 'contextDim', 'seed', 'layers'], 'the flow config', source);
  const formatVersion = positiveInt(raw.formatVersion, 'formatVersion', source);
  if (formatVersion > FLOW_FORMAT_VERSION) {
    throw new ConfigError(`${source}: formatVersion ${formatVersion} is newer than this @calozoo/flows reads (${FLOW_FORMAT_VERSION}). Upgrade @calozoo/flows.`);
  }
  const dim = positiveInt(raw.dim, 'dim', source);
  const contextDim = positiveInt(raw.contextDim, 'contextDim', source, 0);
  if (!Number.isSafeInteger(raw.seed)) throw new ConfigError(`${source}: seed must be a safe integer.`);
  if (!Array.isArray(raw.layers) || raw.layers.length === 0) throw new ConfigError(`${source}: layers must be a non-empty array.`);
  const layers = raw.layers.map((l: unknown, i: number): LayerConfig => {
    const where = `layers[${i}]`;
    if (!isRecord(l) || typeof l.type !== 'string' || !(l.type in LAYER_KEYS)) {
      throw new ConfigError(`${source}: ${where}.type must be one of ${Object.keys(LAYER_KEYS).join(', ')}.`);
    }
    const type = l.type as LayerConfig['type'];
    checkKeys(l, ['type', ...LAYER_KEYS[type]], where, source);
    switch (type) {
      case 'coupling':
        if (l.identityFeatures !== 'even' && l.identityFeatures !== 'odd') throw new ConfigError(`${source}: ${where}.identityFeatures must be "even" or "odd".`);
        if (dim < 2) throw new ConfigError(`${source}: ${where} is a coupling layer but dim is ${dim}; coupling needs dim ≥ 2.`);
        return { type, identityFeatures: l.identityFeatures, transform: parseTransform(l.transform, `${where}.transform`, source), hiddenFeatures: positiveInt(l.hiddenFeatures, `${where}.hiddenFeatures`, source), numBlocks: positiveInt(l.numBlocks, `${where}.numBlocks`, source, 0) };
      case 'autoregressive':
        return { type, transform: parseTransform(l.transform, `${where}.transform`, source), hiddenFeatures: positiveInt(l.hiddenFeatures, `${where}.hiddenFeatures`, source), numBlocks: positiveInt(l.numBlocks, `${where}.numBlocks`, source, 0) };
      case 'elementwise':
        return { type, transform: parseTransform(l.transform, `${where}.transform`, source), hiddenFeatures: positiveInt(l.hiddenFeatures, `${where}.hiddenFeatures`, source) };
      case 'permutation': {
        const idx = l.indices;
        if (!Array.isArray(idx) || idx.length !== dim || new Set(idx).size !== dim || idx.some((v) => !Number.isInteger(v) || v < 0 || v >= dim)) {
          throw new ConfigError(`${source}: ${where}.indices must be a permutation of 0..${dim - 1}.`);
        }
        return { type, indices: idx as number[] };
      }
      case 'batch-norm':
        if (!(typeof l.momentum === 'number' && l.momentum > 0 && l.momentum <= 1)) throw new ConfigError(`${source}: ${where}.momentum must be in (0, 1].`);
        if (!(typeof l.eps === 'number' && l.eps > 0)) throw new ConfigError(`${source}: ${where}.eps must be > 0.`);
        return { type, momentum: l.momentum, eps: l.eps };
      default:
        return { type } as LayerConfig;
    }
  });
  return { formatVersion, dim, contextDim, seed: raw.seed as number, layers };
}

/** Builds the bijector (data → noise direction) for one layer config. */
export function buildLayer(l: LayerConfig, dim: number, contextDim: number, rng: Rng): Bijector {
  switch (l.type) {
    case 'coupling':
      return new CouplingLayer(dim, contextDim, l, rng);
    case 'autoregressive':
      return new AutoregressiveLayer(dim, contextDim, l, rng);
    case 'elementwise':
      return new ElementwiseLayer(dim, contextDim, l, rng);
    case 'permutation':
      return new Permutation(l.indices);
    case 'lu-linear':
      return new LuLinear(dim);
    case 'actnorm':
      return new ActNorm(dim);
    case 'batch-norm':
      return new BatchNorm(dim, l);
  }
}

/** Builds every layer of `config`, each initialised from its own stream of `config.seed`. */
export function buildLayers(config: FlowConfig): Bijector[] {
  return config.layers.map((l, i) => buildLayer(l, config.dim, config.contextDim, new Rng(config.seed, i)));
}
