export type { Bijector, ForwardResult, InverseResult } from './bijector.js';
export { compose, invert } from './bijector.js';
export type { RqsKnots, RqsOptions } from './rqs.js';
export { KNOT_SEARCH_EPS, MIN_BIN_HEIGHT, MIN_BIN_WIDTH, MIN_DERIVATIVE, rqsForward, rqsInverse, rqsKnots, rqsParamCount } from './rqs.js';
export { ensureGradients } from './gradients.js';
