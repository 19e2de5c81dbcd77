/**
 * `customOp`: gradients of several outputs through one hand-written backward, checked against the
 * same function recorded op by op, and the backward's intermediates freed before the next op's
 * backward runs (not when the whole gradient is done).
 */
import { expect, it } from 'vitest';
import { forEachBackend } from '../testing/backends.js';
import { customOp, customOpAvailable } from './custom-op.js';
import { tf } from './tf.js';

/** y1 = a·b, y2 = a² as one op; the backward builds `extra` throwaway tensors besides its result. */
function pair(a: tf.Tensor, b: tf.Tensor, extra: number, onBackward?: () => void): tf.Tensor[] {
  return customOp(
    { a, b },
    (save) => {
      save([a, b]);
      return [tf.mul(a, b), tf.square(a)];
    },
    ([g1, g2], [sa, sb]) => {
      onBackward?.();
      let t = tf.mul(g1!, 1);
      for (let i = 0; i < extra; i++) t = tf.add(t, 0);
      return { a: tf.add(tf.mul(t, sb!), tf.mul(tf.mul(2, sa!), g2!)), b: tf.mul(g1!, sa!) };
    },
  );
}

await forEachBackend((backend) => {
  it(`${backend}: gradients equal those of the same function recorded op by op`, () => {
    expect(customOpAvailable()).toBe(true);
    const a = tf.tensor1d([0.5, -1.5, 2]);
    const b = tf.tensor1d([3, 0.25, -1]);
    const f = (useOp: boolean) => (x: tf.Tensor, y: tf.Tensor): tf.Tensor => {
      const [p, q] = useOp ? pair(x, y, 3) : [tf.mul(x, y), tf.square(x)];
      return tf.sum(tf.add(tf.mul(p!, tf.tensor1d([1, 2, 3])), tf.exp(q!)));
    };
    const got = tf.grads(f(true))([a, b]).map((g) => Array.from(g.dataSync()));
    const want = tf.grads(f(false))([a, b]).map((g) => Array.from(g.dataSync()));
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(got[i]![j]).toBeCloseTo(want[i]![j]!, 4);
    tf.dispose([a, b]);
  });

  it(`${backend}: the backward's intermediates are freed before the next op's backward runs`, () => {
    const extra = 40;
    const a = tf.tensor1d([0.5, -1.5, 2]);
    const b = tf.tensor1d([3, 0.25, -1]);
    // first(a) feeds second(·): second's backward runs first; count live tensors when first's runs.
    const liveAtFirst = (n: number): number => {
      let live = -1;
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        tf.grads((x: tf.Tensor, y: tf.Tensor) => {
          const [p] = pair(x, y, 0, () => (live = tf.memory().numTensors));
          const [r, s] = pair(p!, y, n);
          return tf.sum(tf.add(r!, s!));
        })([a, b]);
      });
      expect(tf.memory().numTensors).toBe(before);
      return live;
    };
    // Without the tidy around the backward, every one of the 40 extra tensors would still be alive.
    expect(liveAtFirst(extra) - liveAtFirst(0)).toBeLessThan(5);
    tf.dispose([a, b]);
  });
});
