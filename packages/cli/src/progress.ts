/**
 * Progress display: a bar with rate and ETA (cli-progress) on a terminal, plain periodic log
 * lines when stderr is not a terminal (CI logs, batch jobs).
 */
import cliProgress from 'cli-progress';
import { formatDuration } from '@calozoo/core';

/** How often plain progress lines are written, in ms. */
const PLAIN_INTERVAL_MS = 2000;


/** Shows progress of one piece of long work. */
export class ProgressReporter {
  private bar: cliProgress.SingleBar | null = null;
  private start = Date.now();
  private lastPrint = 0;
  private lastPrinted = -1;
  private done = 0;
  private extra = '';
  private eta: number | undefined;
  private unitShown: string;

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
          format: `${label} |{bar}| {percentage}% | {value}/{total} {unit} | {speed} {unit}/s | ETA {eta_text} {extra}`,
          hideCursor: true,
          stream: process.stderr,
          etaBuffer: 50,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total ?? 0, 0, { speed: '0', extra: '', unit, eta_text: '?' });
    }
    this.unitShown = unit;
  }

  /** Units per second so far. */
  rate(): number {
    const s = (Date.now() - this.start) / 1000;
    return s > 0 ? this.done / s : 0;
  }

  /** Seconds left: the caller's estimate (e.g. one that respects a deadline), else from the rate so far. */
  private etaSeconds(): number {
    if (this.eta !== undefined) return this.eta;
    const speed = this.rate();
    return this.total && speed > 0 ? (this.total - this.done) / speed : NaN;
  }

  /** Starts counting anew (a new phase of the same job), optionally in another unit. */
  restart(unit?: string): void {
    if (unit !== undefined) this.unitShown = unit;
    this.start = Date.now();
    this.done = 0;
  }

  /** Sets the number of units done, and optionally the total, extra text such as a loss, and the caller's own ETA in seconds. */
  update(done: number, total?: number, extra?: string, etaSeconds?: number): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    if (extra !== undefined) this.extra = extra;
    if (etaSeconds !== undefined) this.eta = etaSeconds;
    if (!this.options.enabled) return;
    const speed = this.rate();
    if (this.bar) {
      if (total !== undefined) this.bar.setTotal(total);
      this.bar.update(done, { speed: speed >= 100 ? speed.toFixed(0) : speed.toPrecision(3), extra: this.extra, unit: this.unitShown, eta_text: formatDuration(this.etaSeconds()) });
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
    const left = this.etaSeconds();
    const eta = Number.isFinite(left) ? `, ETA ${formatDuration(left)}` : '';
    const extra = this.extra ? `, ${this.extra}` : '';
    process.stderr.write(`${this.label}: ${this.done}${t ? '/' + t : ''} ${this.unitShown}${pct}, ${speed.toPrecision(3)} ${this.unitShown}/s${eta}${extra}\n`);
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
