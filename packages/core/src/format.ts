/** Formatting shared by log lines, errors and the CLI's progress. */

/**
 * A duration as 40s, 12m05s or 1h05m ('?' when not finite); `roundUp` for a time someone must at
 * least allow (a needed time limit), nearest otherwise (an ETA).
 */
export function formatDuration(seconds: number, options: { roundUp?: boolean } = {}): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, options.roundUp ? Math.ceil(seconds) : Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = options.roundUp ? Math.ceil((s % 3600) / 60) : Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)}h${String(m).padStart(2, '0')}m`;
}
