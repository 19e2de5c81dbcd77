/**
 * The early release of backward-pass tensors (`backprop-release.ts`): the same gradients as the
 * unpatched engine (first and second order, multi-output ops, custom gradients, a caller's dy,
 * a gradient penalty), no tensor leaked, and a lower peak of live bytes during the backward pass.
 */
import { afterEach, expect, it } from 'vitest';
import { forEachBackend } from '../testing/backends.js';
import { setBackpropRelease } from './backprop-release.js';
import { tf } from './tf.js';

afterEach(() => setBackpropRelease(true));

const vals = (x: tf.Tensor): number[] => Array.from(x.dataSync());

/** Runs `f` with the release on and off; returns both results as plain numbers. */
function bothWays(f: () => tf.Tensor[]): { on: number[][]; off: number[][] } {
  const run = (on: boolean): number[][] => {
    setBackpropRelease(on);
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => f().map(vals));
    expect(tf.memory().numTensors).toBe(before);
    return out;
  };
  return { on: run(true), off: run(false) };
}

await forEachBackend((backend) => {
  const x0 = (): tf.Tensor2D => tf.tensor2d([0.3, -1.2, 0.7, 2.1, -0.4, 0.9, 1.5, -0.8], [2, 4]);
  const w0 = (): tf.Tensor2D => tf.tensor2d([0.5, -0.3, 0.8, 0.1, -0.6, 0.2, 0.4, 0.9], [4, 2]);

  it(`${backend}: first-order gradients are unchanged (split, concat, slice, matMul, exp, customGrad)`, () => {
    const sq = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
      save([a]);
      return { value: tf.square(a), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, tf.mul(2, saved[0]!))] };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    const { on, off } = bothWays(() => {
      const x = tf.variable(x0(), true, `bpr-x-${backend}`);
      const w = tf.variable(w0(), true, `bpr-w-${backend}`);
      const { value, grads } = tf.variableGrads(() => {
        const [a, b] = tf.split(tf.matMul(x, w), 2, 1);
        const c = tf.concat([tf.exp(tf.mul(a!, 0.5)), sq(b!) as tf.Tensor], 1);
        const d = tf.slice(tf.add(c, tf.tanh(c)), [0, 0], [2, 1]);
        return tf.sum(tf.add(tf.sum(tf.mul(d, d)), tf.mean(c))) as tf.Scalar;
      }, [x, w]);
      const out = [value, grads[x.name]!, grads[w.name]!];
      x.dispose();
      w.dispose();
      return out;
    });
    expect(on).toEqual(off);
    expect(on[1]!.some((v) => v !== 0)).toBe(true);
  });

  it(`${backend}: second-order gradients and a gradient penalty are unchanged`, () => {
    const { on, off } = bothWays(() => {
      const f = (x: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.sin(x), tf.square(x)));
      const second = tf.grad((x: tf.Tensor) => tf.sum(tf.grad(f)(x)))(x0());
      // WGAN-GP style: the loss holds the norm of an input gradient; its gradient w.r.t. w.
      const w = tf.variable(w0(), true, `bpr-gp-${backend}`);
      const { grads } = tf.variableGrads(() => {
        const critic = (x: tf.Tensor): tf.Tensor => tf.sum(tf.tanh(tf.matMul(x as tf.Tensor2D, w)));
        const gx = tf.grad(critic)(x0());
        return tf.sum(tf.square(tf.sub(tf.norm(gx), 1))) as tf.Scalar;
      }, [w]);
      const out = [second, grads[w.name]!];
      w.dispose();
      return out;
    });
    expect(on).toEqual(off);
  });

  it(`${backend}: a dy the caller passes in is not released`, () => {
    const dy = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    const g = tf.grad((x: tf.Tensor) => tf.exp(tf.mul(x, 0.1)))(x0(), dy);
    expect(dy.isDisposed).toBe(false);
    expect(vals(dy)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    tf.dispose([g, dy]);
  });

  it(`${backend}: the backward pass holds fewer bytes at its peak`, () => {
    // A chain of 12 elementwise ops on [64, 4096]; a custom op at its start records the live bytes
    // when its gradient runs, which is the last step of the backward pass.
    const peak = (on: boolean): number => {
      setBackpropRelease(on);
      let bytes = 0;
      const probe = tf.customGrad(((a: tf.Tensor) => ({
        value: tf.clone(a),
        gradFunc: (dy: tf.Tensor) => {
          bytes = tf.memory().numBytes;
          return [tf.clone(dy)];
        },
      })) as unknown as Parameters<typeof tf.customGrad>[0]);
      tf.tidy(() => {
        const x = tf.randomNormal([64, 4096], 0, 1, 'float32', 1);
        const g = tf.grad((v: tf.Tensor) => {
          let h = probe(v) as tf.Tensor;
          for (let i = 0; i < 12; i++) h = tf.mul(tf.sin(h), 1.01);
          return tf.sum(h);
        })(x);
        g.dataSync();
      });
      return bytes;
    };
    const size = 64 * 4096 * 4;
    const on = peak(true);
    const off = peak(false);
    // Unpatched: every op's output (saved for sin's gradient) and its gradient are still alive.
    expect(off - on).toBeGreaterThan(12 * size);
  });
});
