/**
 * Frees memory during backpropagation. tfjs-core 4.22 keeps every intermediate gradient (the dy
 * of each recorded op) and every tensor saved for the backward pass until the whole gradient is
 * computed, so a training step holds the forward activations and all their gradients at once.
 * This patch releases a node's output gradients and its saved tensors as soon as the node's input
 * gradients exist, as PyTorch's autograd does: the peak of a step falls to about the forward
 * activations (measured on CaloMan's DS2 VAE in packages/core/bench/HISTORY.md).
 *
 * It acts only in the outermost `gradients` call's backward pass (`gradientDepth` 0). A nested
 * gradient (a gradient penalty, `tf.grad` of `tf.grad`) records its backward ops on the outer
 * tape, which may need those tensors again, so nothing is released there. A `dy` the caller
 * passes in, and a gradient that a node returns unchanged as an input's gradient, are never
 * released. Every release is a `dispose` of a tensor that the end of the backward pass would
 * have disposed anyway: the numbers do not change (tested against the unpatched engine).
 */
import { tf } from './tf.js';

/** The tfjs-core engine members this patch wraps. */
interface TapeEngine {
  state: { gradientDepth: number };
  addTapeNode(kernelName: string, inputs: Record<string, tf.Tensor>, outputs: tf.Tensor[], gradientsFunc: unknown, saved: tf.Tensor[], attrs: unknown): void;
  gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean): { value: tf.Tensor; grads: tf.Tensor[] };
}

/** A recorded node as the engine stores it (the fields the patch reads or wraps). */
interface TapeNode {
  saved?: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
}

let installed = false;
let enabled = true;
/** Tensors of the node processed last, released when the next node starts (its thunks have all run by then). */
let pending: { dys: tf.Tensor[]; saved: tf.Tensor[]; results: Set<tf.Tensor> } | null = null;
/** `dy` arguments of the `gradients` calls in progress (never released). */
const callerDys: Array<tf.Tensor | undefined> = [];

function flush(): void {
  const p = pending;
  pending = null;
  if (!p) return;
  for (const t of p.dys) if (!p.results.has(t) && !callerDys.includes(t)) t.dispose();
  for (const t of p.saved) if (!p.results.has(t)) t.dispose();
}

/**
 * Installs the release of intermediate gradients and saved tensors during backpropagation
 * (see the module comment); idempotent. Returns whether this call installed it.
 */
export function installBackpropRelease(): boolean {
  if (installed) return false;
  const engine = tf.engine() as unknown as TapeEngine;
  const addTapeNode = engine.addTapeNode.bind(engine);
  const gradients = engine.gradients.bind(engine);
  const activeTape = (): TapeNode[] | null => (engine.state as unknown as { activeTape: TapeNode[] | null }).activeTape;
  engine.addTapeNode = (kernelName, inputs, outputs, gradientsFunc, saved, attrs) => {
    addTapeNode(kernelName, inputs, outputs, gradientsFunc, saved, attrs);
    const tape = activeTape();
    const node = tape?.[tape.length - 1];
    const inner = node?.gradient;
    if (!node || !inner) return;
    node.gradient = (dys) => {
      // The previous node's input gradients have all been computed: its dys and saved tensors are spent.
      flush();
      const thunks = inner(dys);
      if (!enabled || engine.state.gradientDepth !== 0) return thunks;
      const p = { dys: dys.filter((d): d is tf.Tensor => d != null), saved: node.saved ?? [], results: new Set<tf.Tensor>() };
      pending = p;
      const wrapped: Record<string, () => tf.Tensor> = {};
      for (const [name, thunk] of Object.entries(thunks)) {
        wrapped[name] = () => {
          const dx = thunk();
          p.results.add(dx);
          return dx;
        };
      }
      return wrapped;
    };
  };
  engine.gradients = (f, xs, dy, allowNoGradients) => {
    callerDys.push(dy);
    try {
      return gradients(f, xs, dy, allowNoGradients);
    } finally {
      callerDys.pop();
      // The last node's tensors were disposed by the end of the backward pass (or belong to an outer one).
      pending = null;
    }
  };
  installed = true;
  return true;
}

/** Turns the release on or off (on by default once installed); for tests and comparisons. */
export function setBackpropRelease(on: boolean): void {
  enabled = on;
}
