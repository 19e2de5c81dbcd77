/** Public exports of the training engine. */
export { shuffledRows, datasetBatches, batchSlices, type BatchSource, type ShuffledRowsOptions } from './batches.js';
export {
  runPhase,
  newPhaseState,
  streamId,
  restoreVariables,
  type Phase,
  type PhaseState,
  type PhaseContext,
  type OptimizerSpec,
  type UpdateSpec,
  type Validation,
} from './phase.js';
export { train, NATIVE_SPEEDUP, type TrainingPlan, type TrainingStage, type TrainingReport, type StageSummary, type TrainOptions } from './trainer.js';
export { writeCheckpoint, readLatestCheckpoint, checkpointName, CHECKPOINT_FORMAT_VERSION, type Checkpoint, type CheckpointToWrite } from './checkpoint.js';
export { separationPower, validationScore, responsePerEnergy, showerFeatures, concatFeatures, readoutThreshold, voxelLayers, type ShowerFeatures } from './validation-score.js';
export { prepareData, gatherRows, applyReadout, straightThroughRelu, type TrainingData, type TrainingDataConfig } from './training-data.js';
export { gradientPenalty, wassersteinCriticLoss } from './adversarial.js';
export {
  fitCriticFeatures, fitCriticFeaturesFor, criticFeatureWidth, criticFeatureSettingsProblems, rawCriticFeatures, criticFeatureCount, layerMatrix, lateralMatrices, FRACTION_EPSILON, LATERAL_EPSILON, WIDTH_FLOOR,
  HIT_TEMPERATURE, HIT_FLOOR_MEV, DEFAULT_HIT_CUT_MEV, SPECTRUM_FIT_ROWS, depositQuantiles, type HitCounts,
  type CriticFeatureMap, type CriticFeatureOptions, type CriticFeatureSettings, type LateralMatrices,
} from './critic-features.js';
