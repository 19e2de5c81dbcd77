/**
 * Progress display: a bar with rate and ETA (cli-progress) on a terminal, plain periodic log
 * lines when stderr is not a terminal (CI logs, batch jobs).
 */
import cliProgress from 'cli-progress';

/** How often plain progress lines are written, in ms. */
const PLAIN_INTERVAL_MS = 2000;

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Shows progress of one piece of long work. */
export class ProgressReporter {
  private bar: cliProgress.SingleBar | null = null;
  private readonly start = Date.now();
  private lastPrint = 0;
  private lastPrinted = -1;
  private done = 0;
  private extra = '';

  /** Creates a reporter; `tty` selects the bar, otherwise plain lines. */
  constructor(
    private readonly label: string,
    private total: number | undefined,
    private readonly unit: string,
    private readonly options: { enabled: boolean; tty: boolean },
  ) {
    if (options.enabled && options.tty) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${label} |{bar}| {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted} {extra}`,
          hideCursor: true,
          stream: process.stderr,
          etaBuffer: 50,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total ?? 0, 0, { speed: '0', extra: '' });
    }
  }

  /** Units per second so far. */
  rate(): number {
    const s = (Date.now() - this.start) / 1000;
    return s > 0 ? this.done / s : 0;
  }

  /** Sets the number of units done (and optionally the total and extra text such as a loss). */
  update(done: number, total?: number, extra?: string): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    if (extra !== undefined) this.extra = extra;
    if (!this.options.enabled) return;
    const speed = this.rate();
    if (this.bar) {
      if (total !== undefined) this.bar.setTotal(total);
      this.bar.update(done, { speed: speed >= 100 ? speed.toFixed(0) : speed.toPrecision(3), extra: this.extra });
      return;
    }
    const now = Date.now();
    if (now - this.lastPrint >= PLAIN_INTERVAL_MS) {
      this.lastPrint = now;
      this.printLine();
    }
  }

  private printLine(): void {
    this.lastPrinted = this.done;
    const speed = this.rate();
    const t = this.total;
    const pct = t ? ` (${((100 * this.done) / t).toFixed(0)}%)` : '';
    const eta = t && speed > 0 ? `, ETA ${fmtDuration((t - this.done) / speed)}` : '';
    const extra = this.extra ? `, ${this.extra}` : '';
    process.stderr.write(`${this.label}: ${this.done}${t ? '/' + t : ''} ${this.unit}${pct}, ${speed.toPrecision(3)} ${this.unit}/s${eta}${extra}\n`);
  }

  /** Finishes the display (a final line in plain mode). */
  stop(): void {
    if (!this.options.enabled) return;
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    } else if (this.lastPrinted !== this.done) {
      this.printLine();
    }
  }
}
