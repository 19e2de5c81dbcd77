/** Public exports of the generation runtime. */
export { GENERATION_BLOCK, blockSeed, sliceConditions, seededBlocks, withSeededBlocks, type SeededBlock } from './seeded.js';
export { shardRange, parseShard, ATTR_SHARD, type ShardSpec } from './shard.js';
