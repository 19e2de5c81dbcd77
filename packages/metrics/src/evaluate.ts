/**
 * `evaluate`: the CaloChallenge-style comparison of a generated sample with a reference sample
 * (field-reference.md §2, §2.7, §5.3), streaming both through feature extractors.
 */
import { InvalidArgumentError, getGeometry, selectTfBackend, type Geometry } from '@calozoo/core';
import { histogramSpecs } from './binning.js';
import { FEATURE_EXTRACTOR_VERSION, datasetKind, defaultThreshold, type DatasetKind } from './dataset.js';
import { compareCorrelations, type CorrelationComparison } from './distances/correlation.js';
import { jensenShannon, separationPower } from './distances/histogram-distances.js';
import { incidentEnergyHistograms, type IncidentEnergyResult } from './distances/incident-energy.js';
import { linearityTable, type LinearityRow } from './distances/linearity.js';
import { wasserstein1 } from './distances/wasserstein.js';
import { FeatureExtractor, column, type FeatureTable } from './features/extractor.js';
import { ShowerSampler, type SampledShower } from './features/shower-sample.js';
import { VoxelSpectrum, maxVoxel } from './features/voxel-spectrum.js';
import { histogram, logEdges, type HistogramPair } from './histogram.js';
import { fpd, type FpdOptions, type FpdResult } from './physics/fpd.js';
import { kpd, type KpdOptions, type KpdResult } from './physics/kpd.js';
import { clsHighFeatures, normaliseByReference, type FeatureMatrix } from './physics/physics-features.js';
import { buildProvenance, sampleProvenance, type Provenance, type ProvenanceInput } from './provenance.js';
import { writeReport } from './report/write-report.js';
import { CLASSIFIER_MODES, ClassifierInputBuilder, type ClassifierMode, type ClassifierSample } from './classifier/inputs.js';
import { classifierTest, officialSplitFractions, type ClassifierTestOptions } from './classifier/index.js';
import { defaultChunkRows, forEachChunk, type ShowerInput } from './sources.js';

/** Evaluation modes, named as the CaloChallenge script names them (§2). */
export type EvalMode = 'hist-chi' | 'fpd' | 'kpd' | ClassifierMode;

/** The modes `evaluate` runs by default (the classifier tests train networks, so they are opt-in). */
export const EVAL_MODES: readonly EvalMode[] = ['hist-chi', 'fpd', 'kpd'];

/** Every evaluation mode, default ones and the classifier two-sample tests. */
export const ALL_EVAL_MODES: readonly EvalMode[] = ['hist-chi', 'fpd', 'kpd', 'cls-low', 'cls-low-normed', 'cls-high'];

/** What a classifier mode reports in the result. */
export interface ClassifierSummary {
  auc: number;
  jsd: number;
  bestEpoch: number;
  protocol: string;
  sizes: unknown;
  seed: number;
  backend: string;
}

/** Progress report of `evaluate`. */
export interface EvaluateProgress {
  /** Current stage. */
  stage: 'reference' | 'generated' | 'reference-voxels' | 'hist-chi' | 'fpd' | 'kpd' | ClassifierMode | 'report';
  /** Units done (showers for the reading stages, training steps for the classifier stages). */
  done: number;
  /** Units in total. */
  total: number;
  /** What `done` counts when not showers, e.g. `steps` of a classifier's training. */
  unit?: string;
  /** Estimated seconds until the stage ends, when known. */
  etaSeconds?: number;
}

/** Options of `evaluate`. */
export interface EvaluateOptions {
  /** Reference (GEANT4) showers: in memory or an HDF5 path. */
  reference: ShowerInput;
  /** Generated showers: in memory or an HDF5 path. */
  generated: ShowerInput;
  /** Geometry or geometry id (`ds1-photons`, `calochallenge-2`, `ild-ecal`, …). */
  geometry: Geometry | string;
  /** Modes to run; default all (`hist-chi`, `fpd`, `kpd`). */
  modes?: readonly EvalMode[];
  /** Voxel threshold in MeV applied before everything; default the official one for the geometry. */
  threshold?: number;
  /** n_hit counts voxels at or above this energy (MeV); default the threshold. */
  hitThreshold?: number;
  /** Rows per chunk when streaming; default ≈ 8 M voxels. */
  chunkRows?: number;
  /** Read negative voxel energies in the files as they are (default: a file holding any is refused). */
  allowNegative?: boolean;
  /** Largest thresholded reference voxel, if known: saves the second pass over a reference file. */
  referenceVoxelMax?: number;
  /** Classifier-test settings for the `cls-*` modes (protocol 'official' by default, 'fast' for quick checks). */
  classifier?: ClassifierTestOptions;
  /** FPD settings (defaults as in the challenge). */
  fpd?: FpdOptions;
  /** KPD settings (defaults as in the challenge). */
  kpd?: KpdOptions;
  /** Showers used for the correlation matrices (30 000). */
  correlationRows?: number;
  /** If set, `metrics.json` and `index.html` are written here. */
  outDir?: string;
  /** Sample names for tables and plots. */
  labels?: { reference?: string; generated?: string };
  /** Single-shower images of the report: how many showers of each sample (3) and the seed of their choice (1). */
  images?: { showers?: number; seed?: number };
  /** Command line and further package versions for the provenance block (the CLI passes them). */
  provenance?: ProvenanceInput;
  /** Progress callback. */
  onProgress?: (p: EvaluateProgress) => void;
  /** Stops the classifier training (the longest stage) with an AbortedError. */
  signal?: AbortSignal;
}

/** Distances of one observable. */
export interface ObservableResult {
  /** Observable name, e.g. `EC_eta[1]`. */
  name: string;
  /** Observable family. */
  group: string;
  /** Layer id of per-layer observables. */
  layer?: number;
  /** Whether the binning is the official CaloChallenge one. */
  official: boolean;
  /** Number of bins. */
  bins: number;
  /** Separation power (§2.3); NaN (null in JSON) when a sample has no entry in range. */
  separationPower: number;
  /** Jensen–Shannon distance (natural log, §2.7); NaN (null in JSON) when a sample has no entry in range. */
  jsd: number;
  /** Exact 1-Wasserstein distance of the per-shower values (null for the voxel spectrum). */
  w1: number | null;
  /** Reference entries inside the histogram range. */
  referenceEntries: number;
  /** Generated entries inside the histogram range. */
  generatedEntries: number;
}

/** JSON-serialisable result of `evaluate`. */
export interface EvaluationResult {
  /** Feature-definition version (pin it when comparing numbers). */
  featureExtractorVersion: string;
  /** Geometry id. */
  geometry: string;
  /** Evaluation family. */
  dataset: DatasetKind;
  /** Thresholds applied, MeV. */
  thresholds: { voxel: number; hit: number };
  /** Sample sizes. */
  samples: { reference: number; generated: number };
  /** Sample labels. */
  labels: { reference: string; generated: string };
  /** Modes run. */
  modes: EvalMode[];
  /** Per-observable distances (hist-chi). */
  observables: ObservableResult[];
  /** Summary of the separation powers. */
  summary?: {
    /** Mean separation power over the official observables (all observables if none is official). */
    meanSeparationPower: number;
    /** Mean JSD over the same observables. */
    meanJsd: number;
    /** Mean separation power per observable family. */
    byGroup: Record<string, number>;
    /** Observable with the largest separation power. */
    worst: { name: string; separationPower: number };
  };
  /** Separation power and JSD of the energy-weighted longitudinal and radial profiles. */
  profiles?: { longitudinal: { separationPower: number; jsd: number }; radial: { separationPower: number; jsd: number } };
  /** Correlation-matrix comparison. */
  correlation?: CorrelationComparison;
  /** Linearity and resolution per incident energy. */
  linearity?: LinearityRow[];
  /** Fréchet Physics Distance (raw; ×10³ in the challenge tables). */
  fpd?: FpdResult;
  /** Kernel Physics Distance (raw; ×10³ in the challenge tables). */
  kpd?: KpdResult;
  /** Classifier two-sample tests, per mode. */
  classifier?: Partial<Record<ClassifierMode, ClassifierSummary>>;
  /** E_dep/E_inc compared per incident-energy bin (discrete energies, or decades). */
  incidentEnergy?: IncidentEnergyResult[];
  /** Files, seeds, versions, backend, date and command line of this evaluation. */
  provenance: Provenance;
  /** Wall time per stage, seconds. */
  timing: Record<string, number>;
}

/** Histograms and profiles behind a result (for plots). */
export interface EvaluationHistograms {
  /** Histogram per observable name. */
  histograms: Record<string, HistogramPair>;
  /** Mean energy per layer (MeV) per sample. */
  longitudinal: { layers: number[]; reference: number[]; generated: number[] };
  /** Mean energy per shower in each common radial bin (MeV; see `radialBinning`) per sample. */
  radial: { edges: number[]; centres: number[]; unit: string; reference: number[]; generated: number[] };
  /** Mean thresholded energy of every voxel (MeV) per sample, with the geometry to draw it on. */
  images: { geometry: Geometry; reference: number[]; generated: number[] };
  /** A seeded random choice of single showers of each sample. */
  showers: { seed: number; reference: SampledShower[]; generated: SampledShower[] };
  /** E_dep/E_inc histograms per incident-energy bin (same order as `result.incidentEnergy`). */
  incidentEnergy: { bin: IncidentEnergyResult; pair: HistogramPair }[];
}

/** What `evaluate` returns. */
export interface EvaluationOutput {
  /** JSON-serialisable numbers. */
  result: EvaluationResult;
  /** Histograms for plotting (`writeReport`). */
  histograms: EvaluationHistograms;
}

/** Voxel-spectrum edges: 50 log-spaced edges from the threshold to the reference maximum (§2.2). */
export function voxelEdges(threshold: number, voxelMax: number): Float64Array | undefined {
  return voxelMax > threshold && threshold > 0 ? logEdges(threshold, voxelMax, 50) : undefined;
}

function mean(x: number[]): number {
  return x.length ? x.reduce((a, b) => a + b, 0) / x.length : NaN;
}

/**
 * Compares a generated sample with a reference sample: histograms with separation power, JSD
 * and W1 (`hist-chi`), FPD (`fpd`) and KPD (`kpd`), plus correlations and linearity/resolution.
 * File sources are streamed; a reference file is read twice unless `referenceVoxelMax` is given
 * (the voxel-spectrum bins depend on its maximum).
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationOutput> {
  const t0 = performance.now();
  const prepared = await prepareReference(options);
  const out = await scoreSample(prepared, options.generated, options.labels?.generated ?? 'generated', options, t0);
  if (options.outDir) {
    prepared.progress({ stage: 'report', done: 0, total: 1 });
    await writeReport(out.result, out.histograms, options.outDir);
    prepared.progress({ stage: 'report', done: 1, total: 1 });
  }
  return out;
}

/** One generated sample of `evaluateMany`, with the label its results carry. */
export interface LabelledSample {
  /** Name of the sample (e.g. the model), used as `labels.generated`. */
  label: string;
  /** The showers: in memory or an HDF5 path. */
  source: ShowerInput;
}

/** Options of `evaluateMany`: those of `evaluate`, with several generated samples and no report. */
export interface EvaluateManyOptions extends Omit<EvaluateOptions, 'generated' | 'outDir' | 'labels'> {
  /** The generated samples, each compared with the same reference. */
  generated: readonly LabelledSample[];
  /** Label of the reference sample (default `reference`). */
  referenceLabel?: string;
  /** Progress, with the index of the generated sample being scored (-1 while the reference is read). */
  onSampleProgress?: (sample: number, p: EvaluateProgress) => void;
}

/**
 * Compares several generated samples with one reference, reading the reference once (twice for
 * a file when `referenceVoxelMax` is not given, as `evaluate`) whatever the number of samples;
 * each result equals what `evaluate` returns for that sample alone. Classifier inputs of the
 * reference are built once per mode.
 */
export async function evaluateMany(options: EvaluateManyOptions): Promise<EvaluationOutput[]> {
  if (options.generated.length === 0) throw new InvalidArgumentError('evaluateMany: no generated sample given');
  const t0 = performance.now();
  let current = -1;
  const base: EvaluateOptions = {
    ...options,
    generated: options.generated[0]!.source,
    labels: { reference: options.referenceLabel },
    onProgress: (p) => {
      options.onProgress?.(p);
      options.onSampleProgress?.(current, p);
    },
  };
  const prepared = await prepareReference(base);
  const shared = performance.now() - t0;
  const out: EvaluationOutput[] = [];
  for (let i = 0; i < options.generated.length; i++) {
    current = i;
    const sample = options.generated[i]!;
    // Each sample's total time counts the shared reference passes once, as `evaluate` would.
    out.push(await scoreSample(prepared, sample.source, sample.label, { ...base, generated: sample.source }, performance.now() - shared));
  }
  return out;
}

/** The reference, read and summarised once for any number of generated samples. */
interface PreparedReference {
  g: Geometry;
  modes: EvalMode[];
  threshold: number;
  hitThreshold: number;
  chunkRows: number;
  read: { allowNegative: boolean };
  progress: (p: EvaluateProgress) => void;
  hist: boolean;
  vmax: number;
  edges: Float64Array | undefined;
  ref: FeatureTable;
  refShowers: SampledShower[];
  showerCount: number;
  showerSeed: number;
  refProvenance: Awaited<ReturnType<typeof sampleProvenance>>;
  /** Timings of the reference passes (reference_s, reference_voxels_s). */
  timing: Record<string, number>;
  /** The reference's classifier inputs, built once per mode. */
  classifierInputs: Map<ClassifierMode, ClassifierSample>;
}

/** Reads the reference: voxel maximum, features, voxel spectrum, sampled showers, provenance. */
async function prepareReference(options: EvaluateOptions): Promise<PreparedReference> {
  const timing: Record<string, number> = {};
  const g = typeof options.geometry === 'string' ? getGeometry(options.geometry) : options.geometry;
  const modes = [...(options.modes ?? EVAL_MODES)];
  for (const m of modes) if (!ALL_EVAL_MODES.includes(m)) throw new InvalidArgumentError(`unknown evaluation mode "${m}"; known: ${ALL_EVAL_MODES.join(', ')}`);
  const threshold = options.threshold ?? defaultThreshold(g);
  const hitThreshold = options.hitThreshold ?? threshold;
  const chunkRows = options.chunkRows ?? defaultChunkRows(g.voxels);
  const read = { allowNegative: options.allowNegative ?? false };
  const progress = options.onProgress ?? (() => undefined);
  const hist = modes.includes('hist-chi');

  // reference: voxel maximum first (cheap for memory, a feature pass for files)
  let t = performance.now();
  let vmax = options.referenceVoxelMax;
  if (vmax === undefined && typeof options.reference !== 'string') vmax = maxVoxel(options.reference, threshold);
  let edges = hist && vmax !== undefined ? voxelEdges(threshold, vmax) : undefined;
  const showerCount = options.images?.showers ?? 3;
  const showerSeed = options.images?.seed ?? 1;
  const sampler = new ShowerSampler(showerCount, showerSeed, threshold);
  const ex = new FeatureExtractor(g, { threshold, hitThreshold, voxelEdges: edges });
  await forEachChunk(
    options.reference,
    g,
    chunkRows,
    (s, done, total) => {
      ex.consume(s);
      sampler.consume(s);
      progress({ stage: 'reference', done, total });
    },
    read,
  );
  let ref = ex.finish();
  if (vmax === undefined) vmax = ref.voxelMax;
  timing.reference_s = (performance.now() - t) / 1000;

  edges = hist ? voxelEdges(threshold, vmax) : undefined;
  if (edges && !ref.voxelCounts) {
    t = performance.now();
    const spec = new VoxelSpectrum(edges, threshold);
    await forEachChunk(
      options.reference,
      g,
      chunkRows,
      (s, done, total) => {
        spec.consume(s);
        progress({ stage: 'reference-voxels', done, total });
      },
      read,
    );
    ref = { ...ref, voxelCounts: spec.counts };
    timing.reference_voxels_s = (performance.now() - t) / 1000;
  }
  return {
    g, modes, threshold, hitThreshold, chunkRows, read, progress, hist, vmax, edges, ref,
    refShowers: sampler.finish(), showerCount, showerSeed,
    refProvenance: await sampleProvenance(options.reference, g, read),
    timing, classifierInputs: new Map(),
  };
}

/** Scores one generated sample against a prepared reference (`t0`: when its clock started). */
async function scoreSample(p: PreparedReference, generated: ShowerInput, label: string, options: EvaluateOptions, t0: number): Promise<EvaluationOutput> {
  const { g, modes, threshold, hitThreshold, chunkRows, read, progress, hist, vmax, edges, ref, showerSeed } = p;
  const timing: Record<string, number> = { ...p.timing };
  const lap = (name: string, since: number): number => {
    const now = performance.now();
    timing[name] = (now - since) / 1000;
    return now;
  };
  let t = performance.now();
  const sampler = new ShowerSampler(p.showerCount, showerSeed, threshold, 1);
  const ex = new FeatureExtractor(g, { threshold, hitThreshold, voxelEdges: edges });
  await forEachChunk(
    generated,
    g,
    chunkRows,
    (s, done, total) => {
      ex.consume(s);
      sampler.consume(s);
      progress({ stage: 'generated', done, total });
    },
    read,
  );
  const gen = ex.finish();
  t = lap('generated_s', t);

  const labels = { reference: options.labels?.reference ?? 'reference', generated: label };
  const result: EvaluationResult = {
    featureExtractorVersion: FEATURE_EXTRACTOR_VERSION,
    geometry: g.id,
    dataset: datasetKind(g),
    thresholds: { voxel: threshold, hit: hitThreshold },
    samples: { reference: ref.n, generated: gen.n },
    labels,
    modes,
    observables: [],
    provenance: buildProvenance(
      p.refProvenance,
      await sampleProvenance(generated, g, read),
      {
        'single-shower choice': showerSeed,
        ...(modes.includes('fpd') ? { fpd: options.fpd?.seed ?? 42 } : {}),
        ...(modes.includes('kpd') ? { kpd: options.kpd?.seed ?? 42 } : {}),
      },
      'none: no network ran (histograms, FPD and KPD are plain JavaScript)',
      options.provenance,
    ),
    timing,
  };
  const histograms: EvaluationHistograms = {
    histograms: {},
    ...profiles(ref, gen),
    images: { geometry: g, reference: meanImage(ref), generated: meanImage(gen) },
    showers: { seed: showerSeed, reference: p.refShowers, generated: sampler.finish() },
    incidentEnergy: [],
  };

  if (hist) {
    const specs = histogramSpecs(ref, vmax);
    specs.forEach((spec, k) => {
      let hr: Float64Array, hg: Float64Array, w1: number | null = null;
      if (spec.values) {
        const a = spec.values(ref);
        const b = spec.values(gen);
        hr = histogram(a, spec.edges);
        hg = histogram(b, spec.edges);
        w1 = a.length && b.length ? wasserstein1(a, b) : null;
      } else {
        hr = ref.voxelCounts ?? new Float64Array(spec.edges.length - 1);
        hg = gen.voxelCounts ?? new Float64Array(spec.edges.length - 1);
      }
      histograms.histograms[spec.name] = { edges: Array.from(spec.edges), reference: Array.from(hr), generated: Array.from(hg), logX: spec.logX };
      const referenceEntries = sum(hr);
      const generatedEntries = sum(hg);
      const empty = referenceEntries === 0 || generatedEntries === 0;
      result.observables.push({
        name: spec.name,
        group: spec.group,
        ...(spec.layer !== undefined ? { layer: spec.layer } : {}),
        official: spec.official,
        bins: spec.edges.length - 1,
        separationPower: empty ? NaN : separationPower(hr, hg),
        jsd: empty ? NaN : jensenShannon(hr, hg),
        w1,
        referenceEntries,
        generatedEntries,
      });
      progress({ stage: 'hist-chi', done: k + 1, total: specs.length });
    });
    result.summary = summarise(result.observables);
    const L = histograms.longitudinal;
    const R = histograms.radial;
    const distances = (p: { reference: number[]; generated: number[] }): { separationPower: number; jsd: number } => ({
      separationPower: separationPower(p.reference, p.generated),
      jsd: jensenShannon(p.reference, p.generated),
    });
    result.profiles = { longitudinal: distances(L), radial: distances(R) };
    result.correlation = compareCorrelations(ref, gen, options.correlationRows);
    result.linearity = linearityTable(ref, gen);
    const perEnergy = incidentEnergyHistograms(ref, gen);
    result.incidentEnergy = perEnergy.bins;
    histograms.incidentEnergy = perEnergy.bins.map((bin, i) => ({ bin, pair: perEnergy.histograms[i] }));
    t = lap('hist_chi_s', t);
  }

  // cls-high features of both samples, shared by fpd, kpd and cls-high
  let high: [FeatureMatrix, FeatureMatrix] | undefined;
  const clsHigh = (): [FeatureMatrix, FeatureMatrix] => (high ??= [clsHighFeatures(ref), clsHighFeatures(gen)]);
  if (modes.includes('fpd') || modes.includes('kpd')) {
    const [fr, fg] = normaliseByReference(...clsHigh());
    if (modes.includes('fpd')) {
      progress({ stage: 'fpd', done: 0, total: 1 });
      result.fpd = await fpd(fr, fg, options.fpd);
      progress({ stage: 'fpd', done: 1, total: 1 });
      t = lap('fpd_s', t);
    }
    if (modes.includes('kpd')) {
      progress({ stage: 'kpd', done: 0, total: 1 });
      result.kpd = await kpd(fr, fg, options.kpd);
      progress({ stage: 'kpd', done: 1, total: 1 });
      lap('kpd_s', t);
    }
  }
  const clsModes = modes.filter((m): m is ClassifierMode => (CLASSIFIER_MODES as readonly string[]).includes(m));
  if (clsModes.length) {
    await selectTfBackend();
    result.classifier = {};
    const split = officialSplitFractions(datasetKind(g));
    for (const mode of clsModes) {
      progress({ stage: mode, done: 0, total: 1 });
      const t1 = performance.now();
      let a: ClassifierSample;
      let b: ClassifierSample;
      if (mode === 'cls-high') {
        [a, b] = clsHigh();
      } else {
        const build = async (src: ShowerInput): Promise<ClassifierSample> => {
          const builder = new ClassifierInputBuilder(mode, g, { threshold });
          await forEachChunk(src, g, chunkRows, (c) => builder.consume(c), read);
          return builder.finish();
        };
        let refInput = p.classifierInputs.get(mode);
        if (!refInput) p.classifierInputs.set(mode, (refInput = await build(options.reference)));
        a = refInput;
        b = await build(generated);
      }
      const r = await classifierTest(a, b, {
        ...options.classifier,
        split,
        signal: options.signal,
        onProgress: (e) => {
          if (e.unit === 'steps') progress({ stage: mode, done: e.done, total: e.total ?? 0, unit: 'steps', etaSeconds: e.etaSeconds });
        },
      });
      result.classifier[mode] = { auc: r.auc, jsd: r.jsd, bestEpoch: r.bestEpoch, protocol: r.protocol, sizes: r.sizes, seed: r.seed, backend: r.backend };
      timing[`${mode}_s`] = (performance.now() - t1) / 1000;
      progress({ stage: mode, done: 1, total: 1 });
    }
  }
  const cls = Object.values(result.classifier ?? {});
  if (cls.length) {
    result.provenance.seeds.classifier = cls[0].seed;
    result.provenance.backend = `${cls[0].backend} (TensorFlow.js, classifier tests)`;
  }
  result.provenance.date = new Date().toISOString();
  timing.total_s = (performance.now() - t0) / 1000;
  return { result, histograms };
}

function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

function profiles(ref: FeatureTable, gen: FeatureTable): Pick<EvaluationHistograms, 'longitudinal' | 'radial'> {
  const layers = ref.schema.layers.map((l) => l.id);
  const lp = (t: FeatureTable): number[] => ref.schema.layers.map((l) => sum(column(t, ref.schema.names[l.column])) / Math.max(1, t.n));
  const rp = (t: FeatureTable): number[] => Array.from(t.radialSum, (v) => v / Math.max(1, t.n));
  return {
    longitudinal: { layers, reference: lp(ref), generated: lp(gen) },
    radial: { edges: ref.radial.edges, centres: ref.radial.centres, unit: ref.radial.unit, reference: rp(ref), generated: rp(gen) },
  };
}

function meanImage(t: FeatureTable): number[] {
  return Array.from(t.voxelSum, (v) => v / Math.max(1, t.n));
}

function summarise(obs: ObservableResult[]): NonNullable<EvaluationResult['summary']> {
  obs = obs.filter((o) => Number.isFinite(o.separationPower));
  const official = obs.filter((o) => o.official);
  const use = official.length ? official : obs;
  const byGroup: Record<string, number[]> = {};
  for (const o of use) (byGroup[o.group] ??= []).push(o.separationPower);
  let worst = use[0] ?? { name: '', separationPower: NaN };
  for (const o of use) if (o.separationPower > worst.separationPower) worst = o;
  return {
    meanSeparationPower: mean(use.map((o) => o.separationPower)),
    meanJsd: mean(use.map((o) => o.jsd)),
    byGroup: Object.fromEntries(Object.entries(byGroup).map(([k, v]) => [k, mean(v)])),
    worst: { name: worst.name, separationPower: worst.separationPower },
  };
}
