/**
 * Root attributes of shower files: provenance metadata such as the geometry id, the
 * generator, its seed and the calozoo version that wrote the file.
 */
import { packageVersion } from '../package-version.js';
import type { File as H5File } from 'h5wasm/node';
import { guarded, unreadable, type H5Module } from './h5.js';

/** A value of an HDF5 attribute as calozoo reads it. */
export type AttributeValue = string | number | boolean | AttributeValue[];

/** A value calozoo can write as an HDF5 attribute. */
export type AttributeInput = string | number | readonly number[] | readonly string[];

/** Attribute name for the geometry id. */
export const ATTR_GEOMETRY = 'geometry';
/** Attribute name for the generator (model plugin or "geant4"). */
export const ATTR_GENERATOR = 'generator';
/** Attribute name for the generator's seed. */
export const ATTR_SEED = 'seed';
/** Attribute name for the calozoo version that wrote the file. */
export const ATTR_CALOZOO_VERSION = 'calozoo_version';

/** The version of @calozoo/core (read from its package.json, same place from src/ and dist/). */
export function calozooVersion(): string {
  return packageVersion(new URL('../../package.json', import.meta.url));
}

/** Reads every root attribute of an open file. */
export function readAttributes(m: H5Module, file: H5File, path: string): Record<string, AttributeValue> {
  try {
    return guarded(m, () => {
      const out: Record<string, AttributeValue> = {};
      for (const name of Object.keys(file.attrs)) {
        const v = file.get_attribute(name, true);
        if (v !== null && v !== undefined) out[name] = v as AttributeValue;
      }
      return out;
    });
  } catch (cause) {
    throw unreadable(path, 'root attributes', cause);
  }
}

function numberDtype(xs: readonly number[]): string {
  return xs.every((x) => Number.isInteger(x) && Math.abs(x) < 2 ** 31) ? '<i' : '<d';
}

/** Writes one root attribute; integers beyond int32 are stored as float64 (exact below 2^53). */
export function writeAttribute(file: H5File, name: string, value: AttributeInput): void {
  if (typeof value === 'string') {
    file.create_attribute(name, value);
  } else if (typeof value === 'number') {
    file.create_attribute(name, value, null, numberDtype([value]));
  } else if (value.length > 0 && typeof value[0] === 'number') {
    const xs = value as readonly number[];
    file.create_attribute(name, [...xs], [xs.length], numberDtype(xs));
  } else {
    file.create_attribute(name, [...(value as readonly string[])]);
  }
}
