/**
 * Provenance of an evaluation: which files (path, size, modification time, root attributes such
 * as the generator, model directory and seed that `calozoo generate` writes), which seeds, which
 * calozoo versions, Node.js, the backend, the date and the command line, so that a shared report
 * says how it was made.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ATTR_GENERATOR, ATTR_SEED, calozooVersion, openShowerFile, packageVersion, type AttributeValue, type Geometry } from '@calozoo/core';
import type { ReadOptions, ShowerInput } from './sources.js';

/** Where one sample came from. */
export interface SampleProvenance {
  /** `file` for an HDF5 path, `memory` for in-memory showers. */
  source: 'file' | 'memory';
  /** Absolute path of the file. */
  path?: string;
  /** File size in bytes. */
  bytes?: number;
  /** Last modification time of the file (ISO 8601). */
  modified?: string;
  /** Number of showers. */
  showers: number;
  /** Root attributes of the file (generator, model, seed, calozoo_version, geometry, …). */
  attributes?: Record<string, AttributeValue>;
}

/** How an evaluation was made. */
export interface Provenance {
  /** When the evaluation finished (ISO 8601). */
  date: string;
  /** Command line that ran it, when the caller passed one. */
  commandLine?: string;
  /** The reference sample. */
  reference: SampleProvenance;
  /** The generated sample. */
  generated: SampleProvenance;
  /** Generator recorded in the generated file (`plugin@version`, `calozoo-simulator`, …). */
  generator?: string;
  /** Model directory recorded in the generated file. */
  model?: string;
  /** Seeds: those recorded in the files and those the evaluation used. */
  seeds: Record<string, number>;
  /** Versions of the calozoo packages involved (metrics, core, and what the caller adds). */
  versions: Record<string, string>;
  /** Node.js version. */
  node: string;
  /** Operating system and architecture. */
  platform: string;
  /** Backend of the networks that ran, or a note that none ran. */
  backend: string;
}

/** What a caller (the CLI) adds to the provenance. */
export interface ProvenanceInput {
  /** Command line as typed (shell-quoted). */
  commandLine?: string;
  /** Further package versions, e.g. `{ '@calozoo/cli': '0.3.0' }`. */
  versions?: Record<string, string>;
}

/** The version of @calozoo/metrics (from its package.json; the same path from src/ and dist/). */
export function metricsVersion(): string {
  return packageVersion(new URL('../package.json', import.meta.url));
}

/** Describes a shower source: path, size, modification time and root attributes of a file. */
export async function sampleProvenance(src: ShowerInput, g: Geometry, read: ReadOptions = {}): Promise<SampleProvenance> {
  if (typeof src !== 'string') return { source: 'memory', showers: src.n };
  const st = await stat(src);
  const f = await openShowerFile(src, { geometry: g, ...read, validate: false });
  try {
    return { source: 'file', path: resolve(src), bytes: st.size, modified: st.mtime.toISOString(), showers: f.n, attributes: { ...f.attributes } };
  } finally {
    f.close();
  }
}

/** Assembles the provenance of an evaluation. */
export function buildProvenance(
  reference: SampleProvenance,
  generated: SampleProvenance,
  seeds: Record<string, number>,
  backend: string,
  input: ProvenanceInput = {},
): Provenance {
  const attr = generated.attributes ?? {};
  const text = (v: AttributeValue | undefined): string | undefined => (v === undefined ? undefined : String(v));
  const fileSeeds: Record<string, number> = {};
  for (const [name, s] of [['reference file', reference], ['generated file', generated]] as const) {
    const v = s.attributes?.[ATTR_SEED];
    if (typeof v === 'number') fileSeeds[name] = v;
  }
  const generator = text(attr[ATTR_GENERATOR]);
  const model = text(attr['model']);
  return {
    date: new Date().toISOString(),
    ...(input.commandLine ? { commandLine: input.commandLine } : {}),
    reference,
    generated,
    ...(generator ? { generator } : {}),
    ...(model ? { model } : {}),
    seeds: { ...fileSeeds, ...seeds },
    versions: { '@calozoo/metrics': metricsVersion(), '@calozoo/core': calozooVersion(), ...input.versions },
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    backend,
  };
}
