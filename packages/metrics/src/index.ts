/**
 * @calozoo/metrics: CaloChallenge and DESY evaluation of generated calorimeter showers —
 * observables, separation power, JSD, W1, correlations, linearity/resolution, FPD, KPD and an
 * HTML report (field-reference.md §2, §2.7, §5.3).
 */
export { evaluate, evaluateMany, voxelEdges, EVAL_MODES, ALL_EVAL_MODES } from './evaluate.js';
export type { EvalMode, ClassifierSummary, EvaluateOptions, EvaluateManyOptions, LabelledSample, EvaluateProgress, EvaluationResult, EvaluationHistograms, EvaluationOutput, ObservableResult } from './evaluate.js';
export { FEATURE_EXTRACTOR_VERSION, DS23_THRESHOLD_MEV, DS1_ENERGIES, datasetKind, defaultThreshold } from './dataset.js';
export type { DatasetKind } from './dataset.js';
export { FeatureExtractor, column } from './features/extractor.js';
export type { FeatureExtractorOptions, FeatureTable } from './features/extractor.js';
export { featureSchema, layerColumnName, groupName, LAYER_GROUPS, GRID_GLOBAL_COLUMNS, CYLINDRICAL_GLOBAL_COLUMNS } from './features/schema.js';
export type { FeatureSchema, SchemaLayer, LayerGroup } from './features/schema.js';
export { VoxelSpectrum, maxVoxel } from './features/voxel-spectrum.js';
export { radialBinning, radialProfile } from './features/radial.js';
export type { RadialBinning } from './features/radial.js';
export { ShowerSampler } from './features/shower-sample.js';
export type { SampledShower } from './features/shower-sample.js';
export { incidentEnergyBins, incidentEnergyHistograms, formatEnergy } from './distances/incident-energy.js';
export type { IncidentEnergyBin, IncidentEnergyResult } from './distances/incident-energy.js';
export { metricsVersion } from './provenance.js';
export type { Provenance, ProvenanceInput, SampleProvenance } from './provenance.js';
export { histogramSpecs, energyMask } from './binning.js';
export type { HistogramSpec } from './binning.js';
export { linspace, logEdges, binIndex, histogram, toProbabilities } from './histogram.js';
export type { HistogramPair } from './histogram.js';
export { separationPower, jensenShannon, areaDifference, fidelityScore } from './distances/histogram-distances.js';
export { wasserstein1, wasserstein1Sorted, sorted } from './distances/wasserstein.js';
export { mu90 } from './distances/resolution.js';
export type { Mu90 } from './distances/resolution.js';
export { linearityTable } from './distances/linearity.js';
export type { LinearityRow, Response } from './distances/linearity.js';
export { correlationMatrix, compareCorrelations, GRID_CORRELATION_QUANTITIES, CYLINDRICAL_CORRELATION_QUANTITIES } from './distances/correlation.js';
export type { CorrelationComparison } from './distances/correlation.js';
export { clsHighFeatures, normaliseByReference } from './physics/physics-features.js';
export type { FeatureMatrix } from './physics/physics-features.js';
export { fpd, fpdBatchSizes, fitNonNegativeLine } from './physics/fpd.js';
export type { FpdOptions, FpdResult } from './physics/fpd.js';
export { kpd, mmdPolyUnbiased, percentile } from './physics/kpd.js';
export type { KpdOptions, KpdResult } from './physics/kpd.js';
export { jacobiEigen, symmetricSqrt, meanCov, matmul, pivotedCholesky, symmetricEigenvalues, traceSqrtProduct, frechetDistance } from './physics/linalg.js';
export type { SymmetricEigen, MeanCov } from './physics/linalg.js';
export { formatTable } from './report/format.js';
export { writeReport, renderReport } from './report/write-report.js';
export { comparisonRows, formatComparison, renderComparison, writeComparisonReport, type ComparisonRow, type ComparisonReportOptions } from './report/compare-report.js';
export { defaultChunkRows, forEachChunk, sourceSize } from './sources.js';
export type { ShowerInput, ReadOptions } from './sources.js';
export {
  classifierTest,
  repeatedClassifierTest,
  classifierSettings,
  CLASSIFIER_PROTOCOLS,
  ClassifierInputBuilder,
  classifierInputs,
  classifierInputDim,
  CLASSIFIER_MODES,
  fitIsotonic,
  predictIsotonic,
  pava,
  rocAuc,
  binaryCrossEntropy,
  logitCrossEntropy,
  jsdFromBce,
  accuracy,
  sigmoid,
  officialSplitFractions,
  splitClass,
} from './classifier/index.js';
export type {
  ClassifierProtocol,
  ClassifierSettings,
  ClassifierEpoch,
  ClassifierTestOptions,
  ClassifierResult,
  RepeatedClassifierResult,
  ClassifierMode,
  ClassifierSample,
  ClassifierInputOptions,
  IsotonicModel,
  IsotonicOptions,
  SplitFractions,
  ClassSplit,
} from './classifier/index.js';
export { frd, FrdRegressor, loadOrTrainFrdRegressor, FRD_FEATURES } from './frd/index.js';
export type { FrdOptions, FrdResult, FrdArchitecture, FrdRegressorConfig, FrdTrainOptions } from './frd/index.js';
export {
  DEFAULT_CAMEL_BACK,
  camelBackCdf,
  camelBackQuantile,
  sampleCamelBack,
  quantileEdges,
  cellFractions,
  quantileMse,
  expectedQuantileMse,
  equivalentEvents,
  amplificationStudy,
  empiricalQuantileEdges,
  observableQuantileMse,
  showerQuantileMse,
} from './amplify/index.js';
export type { CamelBack, AmplificationPoint, AmplificationResult, AmplificationOptions, ObservableQuantileMse } from './amplify/index.js';
