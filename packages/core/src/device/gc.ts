/**
 * A full garbage collection on request. Training reads tens of megabytes of weights, moments and
 * shower blocks into fresh typed arrays (checkpoints, restores, encoding passes); V8 frees them only
 * when its own heuristics run a collection, by which time ~100 MB of dead arrays can be resident
 * on top of the peak that TensorFlow is about to add. The trainer collects at those boundaries.
 *
 * V8 exposes `gc` only with `--expose-gc`; the flag is set at run time (node:v8
 * `setFlagsFromString`) and the function taken from a fresh context, where it then exists.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

/** Runs a full garbage collection now; false where the runtime does not allow it (then nothing happens). */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    const own = (globalThis as { gc?: () => void }).gc;
    if (typeof own === 'function') gc = own;
    else {
      try {
        setFlagsFromString('--expose-gc');
        const f: unknown = runInNewContext('gc');
        gc = typeof f === 'function' ? (f as () => void) : null;
      } catch {
        gc = null;
      }
    }
  }
  gc?.();
  return gc !== null;
}
