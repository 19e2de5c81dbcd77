/** Classifier two-sample tests of the CaloChallenge (field-reference.md §2.4). */
export { classifierTest, repeatedClassifierTest, classifierSettings, CLASSIFIER_PROTOCOLS } from './classifier-test.js';
export type { ClassifierProtocol, ClassifierSettings, ClassifierEpoch, ClassifierTestOptions, ClassifierResult, RepeatedClassifierResult } from './classifier-test.js';
export { ClassifierInputBuilder, classifierInputs, classifierInputDim, CLASSIFIER_MODES } from './inputs.js';
export type { ClassifierMode, ClassifierSample, ClassifierInputOptions } from './inputs.js';
export { fitIsotonic, predictIsotonic, pava } from './isotonic.js';
export type { IsotonicModel, IsotonicOptions } from './isotonic.js';
export { rocAuc, binaryCrossEntropy, logitCrossEntropy, jsdFromBce, accuracy, sigmoid } from './roc.js';
export { officialSplitFractions, splitClass } from './split.js';
export type { SplitFractions, ClassSplit } from './split.js';
