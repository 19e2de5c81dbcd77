/**
 * A small worker-thread pool that runs the kernels of `kernels.ts` over two shared matrices
 * (reference and generated features). Tasks are whole kernel calls, so the arithmetic, and the
 * result, is the same whatever the number of threads; with one thread no worker is started.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { KERNELS, KERNEL_SOURCE, LINALG, POLY_PAIR_SUM, kernelOutputLength, type KernelName } from './kernels.js';
import { LINALG_SOURCE } from './linalg-source.js';

/** Which shared matrix a task reads. */
export type Operand = 'x' | 'y';

/** One `polyPairSum` call: rows xi[lo, hi) of operand x against rows yi of operand y (b > a only when `upper`). */
export interface PairTask {
  /** Operand of the rows a. */
  x: Operand;
  /** Row indices of the a side. */
  xi: Uint32Array;
  /** First position in xi. */
  lo: number;
  /** One past the last position in xi. */
  hi: number;
  /** Operand of the rows b. */
  y: Operand;
  /** Row indices of the b side. */
  yi: Uint32Array;
  /** Only pairs with b > a (x = y, xi = yi). */
  upper: boolean;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
${KERNEL_SOURCE}
${LINALG_SOURCE}
const data = { x: new Float64Array(workerData.x), y: new Float64Array(workerData.y) };
const kernels = { secondMoments, momentSums };
parentPort.on('message', (t) => {
  if (t.kernel === 'polyPairSum') {
    const p = t.pair;
    parentPort.postMessage({ id: t.id, out: polyPairSum(data[p.x], p.xi, p.lo, p.hi, data[p.y], p.yi, workerData.d, p.upper) });
    return;
  }
  if (t.kernel === 'frechet') {
    parentPort.postMessage({ id: t.id, out: frechetOfRows(data.x, data.y, workerData.d, t.xi, t.yi) });
    return;
  }
  const out = new Float64Array(t.size);
  kernels[t.kernel](data[t.which], workerData.d, t.idx, out);
  parentPort.postMessage({ id: t.id, out }, [out.buffer]);
});
`;

/** Default thread count: min(2, available cores). */
export function defaultThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/** Runs kernel calls on up to `threads` workers over two shared row-major matrices. */
export class KernelPool {
  private readonly workers: Worker[] = [];
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private next = 0;

  /** Copies x and y into shared memory and starts `threads` workers (none when threads ≤ 1). */
  constructor(
    x: Float64Array,
    y: Float64Array,
    readonly d: number,
    readonly threads = defaultThreads(),
  ) {
    if (threads <= 1) {
      this.x = x;
      this.y = y;
      return;
    }
    const share = (a: Float64Array): Float64Array => {
      const s = new Float64Array(new SharedArrayBuffer(a.byteLength));
      s.set(a);
      return s;
    };
    this.x = share(x);
    this.y = share(y);
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { x: this.x.buffer, y: this.y.buffer, d } });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Runs `kernel` on the rows `idx` of each task's operand; results in task order. */
  async map(kernel: KernelName, tasks: readonly { which: Operand; idx: Uint32Array }[]): Promise<Float64Array[]> {
    const size = kernelOutputLength(kernel, this.d);
    if (this.workers.length === 0) {
      return tasks.map((t) => {
        const out = new Float64Array(size);
        KERNELS[kernel](this.operand(t.which), this.d, t.idx, out);
        return out;
      });
    }
    return this.dispatch(tasks.map((t) => ({ kernel, which: t.which, idx: t.idx, size })));
  }

  /** Runs `polyPairSum` for each task; results in task order. */
  async pairSums(tasks: readonly PairTask[]): Promise<number[]> {
    if (this.workers.length === 0) return tasks.map((p) => POLY_PAIR_SUM(this.operand(p.x), p.xi, p.lo, p.hi, this.operand(p.y), p.yi, this.d, p.upper));
    return this.dispatch(tasks.map((pair) => ({ kernel: 'polyPairSum', pair })));
  }

  /**
   * Fréchet distance between the Gaussians of rows `xi` of x and rows `yi` of y for each task,
   * computed whole in a worker; results in task order.
   */
  async frechet(tasks: readonly { xi: Uint32Array; yi: Uint32Array }[]): Promise<number[]> {
    if (this.workers.length === 0) return tasks.map((t) => LINALG.frechetOfRows(this.x, this.y, this.d, t.xi, t.yi));
    return this.dispatch(tasks.map((t) => ({ kernel: 'frechet', xi: t.xi, yi: t.yi })));
  }

  private operand(which: Operand): Float64Array {
    return which === 'x' ? this.x : this.y;
  }

  /** Sends messages to the workers, one at a time per worker; replies in message order. */
  private async dispatch<T>(messages: readonly object[]): Promise<T[]> {
    const results: T[] = new Array(messages.length);
    let cursor = 0;
    const runOn = (w: Worker): Promise<void> =>
      new Promise((resolve, reject) => {
        const step = (): void => {
          if (cursor >= messages.length) {
            w.off('message', onMessage);
            w.off('error', reject);
            resolve();
            return;
          }
          const k = cursor++;
          const id = this.next++;
          pending.set(id, k);
          w.postMessage({ ...messages[k], id });
        };
        const pending = new Map<number, number>();
        const onMessage = (msg: { id: number; out: T }): void => {
          results[pending.get(msg.id) as number] = msg.out;
          pending.delete(msg.id);
          step();
        };
        w.on('message', onMessage);
        w.on('error', reject);
        step();
      });
    await Promise.all(this.workers.map(runOn));
    return results;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
