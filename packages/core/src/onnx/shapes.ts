/**
 * Static shape inference for the builder's ops (ONNX operator docs, onnx/docs/Operators.md).
 * Returns undefined whenever a shape cannot be known when building, never a guess.
 */
import { InvalidArgumentError } from '../errors.js';
import type { OnnxShape } from './types.js';

/** Numpy-style broadcast of two shapes (onnx/docs/Broadcasting.md); undefined if either is unknown. */
export function broadcastShapes(a: OnnxShape | undefined, b: OnnxShape | undefined, op: string): OnnxShape | undefined {
  if (!a || !b) return undefined;
  const n = Math.max(a.length, b.length);
  const out: (number | null)[] = [];
  for (let i = 0; i < n; i++) {
    const x = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const y = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === null || y === null) out.push(x ?? y);
    else if (x === y) out.push(x);
    else throw new InvalidArgumentError(`${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  }
  return out;
}

/** Shape of MatMul (numpy matmul, rank ≥ 2 on both sides or vector operands). */
export function matMulShape(a: OnnxShape | undefined, b: OnnxShape | undefined): OnnxShape | undefined {
  if (!a || !b || a.length < 2 || b.length < 2) return undefined;
  const k1 = a[a.length - 1]!;
  const k2 = b[b.length - 2]!;
  if (k1 !== null && k2 !== null && k1 !== k2) {
    throw new InvalidArgumentError(`MatMul: inner dimensions differ: [${a.join(', ')}] × [${b.join(', ')}]`);
  }
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2), 'MatMul');
  return batch && [...batch, a[a.length - 2]!, b[b.length - 1]!];
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw new InvalidArgumentError(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Spatial output size of a convolution: floor((in + pb + pe − d·(k−1) − 1) / s) + 1. */
export function convOut(input: number | null, k: number, s: number, pb: number, pe: number, d: number): number | null {
  return input === null ? null : Math.floor((input + pb + pe - d * (k - 1) - 1) / s) + 1;
}

/** Spatial output size of a transposed convolution: s·(in − 1) + op + d·(k − 1) + 1 − pb − pe. */
export function convTransposeOut(input: number | null, k: number, s: number, pb: number, pe: number, op: number, d: number): number | null {
  return input === null ? null : s * (input - 1) + op + d * (k - 1) + 1 - pb - pe;
}

/** Output shape of Reshape with a constant target (0 copies a dimension, −1 is inferred). */
export function reshapeShape(input: OnnxShape | undefined, target: readonly number[]): OnnxShape {
  const out: (number | null)[] = target.map((t, i) => (t === 0 ? (input?.[i] ?? null) : t));
  const minus = out.indexOf(-1);
  if (minus >= 0) {
    const known = input && input.every((d) => d !== null) ? (input as number[]).reduce((p, d) => p * d, 1) : null;
    const rest = out.reduce<number | null>((p, d, i) => (i === minus || p === null || d === null ? (i === minus ? p : null) : p * d), 1);
    out[minus] = known !== null && rest !== null && rest > 0 ? known / rest : null;
  }
  return out;
}

/** Number of elements of a fully known shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}
