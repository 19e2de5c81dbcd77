/**
 * HDF5 I/O of CaloChallenge shower files: validated chunked reading, streamed batches with a
 * seeded shuffle, and atomic (temporary file + rename) streaming writes.
 */
export { ShowerFileError, KNOWN_VOXEL_COUNTS, suggestGeometry } from './errors.js';
export type { ShowerFileProblem, ShowerFileErrorDetails } from './errors.js';
export { openShowerFile } from './shower-file.js';
export type { ShowerFile, OpenShowerFileOptions, GeometryLike, ShowerDtype, OptionalCondition } from './shower-file.js';
export { createShowerWriter, writeShowerFile, defaultChunkRows } from './shower-writer.js';
export type { ShowerWriter, ShowerWriterOptions } from './shower-writer.js';
export { ShowerDataset } from './shower-dataset.js';
export type { ShowerBatch, BatchOptions, ShowerDatasetOptions } from './shower-dataset.js';
export { ATTR_GEOMETRY, ATTR_GENERATOR, ATTR_SEED, ATTR_CALOZOO_VERSION, calozooVersion } from './attributes.js';
export type { AttributeValue, AttributeInput } from './attributes.js';
export { mergeShowerFiles, type MergeShowerFilesOptions, type MergeShowerFilesResult } from './merge.js';
