export { simulateShowers, resolveDetector, resolveParticle, FIRST_STREAM, type SimulateOptions, type SimulatorParams } from './simulate.js';
export {
  sampleIncidentEnergies,
  energySamplerFor,
  sampleTheta,
  hasAngle,
  DS1_ENERGIES_MEV,
  DS1_PHOTON_COUNTS,
  DS1_PION_COUNTS,
  ANGULAR_THETA_RANGE,
  type EnergySampler,
} from './energies.js';
export { detectorFor, DEFAULT_HADRONIC } from './detectors.js';
export type { DetectorModel, Slab, HadronicParams } from './detector.js';
export type { Particle } from './engine.js';
export { emProfile, hadronicProfile, meanEmFraction, emRadial, TMAX_OFFSET, type GammaProfile, type RadialShape } from './profiles.js';
export { spotModel, type SpotModel } from './spots.js';
export { simulateToFile, GENERATOR_NAME, type SimulateToFileOptions, type SimulateToFileResult } from './simulate-to-file.js';
export { simulatorVersion } from './version.js';
export { SIMULATOR_VARIATIONS, getVariation, type SimulatorVariation, type VariationRole } from './variations.js';
