/** Public exports of the generation runtime. */
export { GENERATION_BLOCK, blockSeed, sliceConditions, seededBlocks, withSeededBlocks, type SeededBlock } from './seeded.js';
export { generateInBatches, networkBatch } from './batches.js';
export { ModelSessions, type GenerationGraph, type GenerationSessions, type ModelSessionsOptions } from './sessions.js';
export { shardRange, parseShard, ATTR_SHARD, type ShardSpec } from './shard.js';
