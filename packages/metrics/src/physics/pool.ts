/**
 * A small worker-thread pool that runs the kernels of `kernels.ts` over two shared matrices
 * (reference and generated features). Tasks are whole kernel calls, so the arithmetic, and the
 * result, is the same whatever the number of threads; with one thread no worker is started.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { KERNELS, KERNEL_SOURCE, kernelOutputLength, type KernelName } from './kernels.js';

/** Which shared matrix a task reads. */
export type Operand = 'x' | 'y';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
${KERNEL_SOURCE}
const data = { x: new Float64Array(workerData.x), y: new Float64Array(workerData.y) };
const kernels = { secondMoments, momentSums };
parentPort.on('message', (t) => {
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
        KERNELS[kernel](t.which === 'x' ? this.x : this.y, this.d, t.idx, out);
        return out;
      });
    }
    const results: Float64Array[] = new Array(tasks.length);
    let cursor = 0;
    const runOn = (w: Worker): Promise<void> =>
      new Promise((resolve, reject) => {
        const step = (): void => {
          if (cursor >= tasks.length) {
            w.off('message', onMessage);
            w.off('error', reject);
            resolve();
            return;
          }
          const k = cursor++;
          const id = this.next++;
          pending.set(id, k);
          w.postMessage({ id, kernel, which: tasks[k].which, idx: tasks[k].idx, size });
        };
        const pending = new Map<number, number>();
        const onMessage = (msg: { id: number; out: Float64Array }): void => {
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
