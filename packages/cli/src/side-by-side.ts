/**
 * What `calozoo compare` and `calozoo demo` share once every model is generated: progress of the
 * reading passes of `evaluateMany`, and the reports (one per model plus the side-by-side one)
 * with the table as rows and as JSON.
 */
import * as path from 'node:path';
import { comparisonRows, writeComparisonReport, writeReport, type ComparisonRow, type EvaluateProgress, type EvaluationOutput } from '@calozoo/metrics';
import type { ProgressReporter } from './progress.js';

/** An `evaluateMany` progress callback that shows the passes over showers on `bar`, labelled by sample. */
export function readingProgress(bar: ProgressReporter, names: readonly string[], signal?: AbortSignal): (sample: number, p: EvaluateProgress) => void {
  return (i, p) => {
    signal?.throwIfAborted();
    // The reading passes count showers; the later stages are quick or report their own units.
    if (p.total && !p.unit && ['reference', 'reference-voxels', 'generated'].includes(p.stage)) bar.update(p.done, p.total, i < 0 ? p.stage : names[i]!, p.etaSeconds);
  };
}

/** The table: metric rows then `extra`, as rows and as JSON objects `{ metric, <model>: value }`. */
export interface SideBySideTable {
  rows: ComparisonRow[];
  json: Record<string, string | number | null>[];
}

/** Writes each model's report into `dir/<name>/` and the side-by-side report into `dir`; returns the table. */
export async function writeSideBySide(outputs: readonly EvaluationOutput[], names: readonly string[], dir: string, extra: readonly ComparisonRow[], subtitle: string): Promise<SideBySideTable> {
  for (let i = 0; i < outputs.length; i++) await writeReport(outputs[i]!.result, outputs[i]!.histograms, path.join(dir, names[i]!));
  await writeComparisonReport(outputs, dir, { extraRows: extra, links: names.map((nm) => `${nm}/index.html`), subtitle });
  const rows = [...comparisonRows(outputs.map((o) => o.result)), ...extra];
  return { rows, json: rows.map((r) => ({ metric: r.label, ...Object.fromEntries(names.map((nm, i) => [nm, r.values[i] ?? null])) })) };
}
