/** GANplifying quantile-MSE checks (field-reference.md §2.7). */
export { DEFAULT_CAMEL_BACK, camelBackCdf, camelBackQuantile, sampleCamelBack, normalCdf } from './camel-back.js';
export type { CamelBack } from './camel-back.js';
export { quantileEdges, cellFractions, quantileMse, expectedQuantileMse, equivalentEvents, amplificationStudy } from './quantile-mse.js';
export type { AmplificationPoint, AmplificationResult, AmplificationOptions } from './quantile-mse.js';
export { empiricalQuantileEdges, observableQuantileMse, showerQuantileMse } from './observables.js';
export type { ObservableQuantileMse } from './observables.js';
