/**
 * Errors raised while reading or writing CaloChallenge shower files. Every one is a
 * `DataFormatError` whose `problem` says what kind of defect was found, so that the CLI and
 * scripts can branch on it without parsing messages.
 */
import { DataFormatError, type DataFormatDetails } from '../errors.js';

/** What is wrong with a shower file (stable strings, part of the public API). */
export type ShowerFileProblem =
  | 'not-found'
  | 'not-hdf5'
  | 'truncated'
  | 'unreadable'
  | 'missing-dataset'
  | 'wrong-rank'
  | 'wrong-dtype'
  | 'wrong-voxel-count'
  | 'n-mismatch'
  | 'empty'
  | 'non-finite'
  | 'negative-energy'
  | 'negative-voxel'
  | 'incompatible-files'
  | 'write-failed';

/** Details of a shower-file error: the usual file/dataset/expected/found plus the bad row. */
export interface ShowerFileErrorDetails extends DataFormatDetails {
  /** Index (0-based, in the file) of the first bad row, for value checks. */
  row?: number;
}

/** A shower file (CaloChallenge HDF5) that cannot be used; `problem` tells which defect. */
export class ShowerFileError extends DataFormatError {
  /** Machine-readable kind of defect. */
  readonly problem: ShowerFileProblem;
  /** Index of the first bad row, where the defect is in the values. */
  readonly row: number | undefined;

  /** Creates the error; the message must already name file, dataset, expected, found and a fix. */
  constructor(problem: ShowerFileProblem, message: string, details: ShowerFileErrorDetails, options?: { cause?: unknown }) {
    super(message, details, options);
    this.problem = problem;
    this.row = details.row;
  }
}

/**
 * Voxel counts of the built-in geometries (field-reference.md §1.1 and the ILD grids), used
 * to suggest a geometry when a file does not match the requested one. Kept here rather than
 * read from the geometry registry so that I/O does not depend on it.
 */
export const KNOWN_VOXEL_COUNTS: Readonly<Record<number, string>> = {
  368: 'calochallenge-1-photons',
  533: 'calochallenge-1-pions',
  6480: 'calochallenge-2',
  40500: 'calochallenge-3',
  27000: 'ild-ecal',
  30000: 'ild-hcal',
};

/** Returns the advice for a file whose voxel count matches no requested geometry. */
export function suggestGeometry(voxels: number): string {
  const id = KNOWN_VOXEL_COUNTS[voxels];
  return id
    ? `${voxels} voxels is the built-in geometry "${id}": pass --geometry ${id}, or check the file.`
    : `No built-in geometry has ${voxels} voxels: pass a custom geometry with that many voxels, or check the file.`;
}

/** Formats a shape as `[a, b]` for messages. */
export function fmtShape(shape: readonly number[] | null | undefined): string {
  return shape ? `[${shape.join(', ')}]` : 'a scalar';
}
