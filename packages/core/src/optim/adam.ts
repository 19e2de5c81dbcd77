/**
 * Adam (Kingma & Ba 2015, arXiv:1412.6980) over named variables, with global-norm gradient
 * clipping and a learning rate passed per step (so schedules need no optimizer internals). Its
 * state (moments, step) goes into checkpoints under stable names.
 *
 * On the native TensorFlow backend (tfjs-node) the update runs as TensorFlow's fused
 * `ResourceApplyAdam` kernel on resource variables that hold the weights and both moments: one
 * kernel per variable and step, updating in place, instead of ~15 elementwise kernels that each
 * allocate and stream a full-size tensor. Elsewhere (wasm, cpu) it runs as TF.js ops. Both give
 * the same numbers up to float32 rounding (tested).
 */
import { InvalidArgumentError } from '../errors.js';
import { float32Values, tensorValues, type NamedTensor, type TensorToWrite } from '../model-dir/safetensors.js';
import { boolAttr, floatAttr, nativeOpsAvailable, type NativeBackend, type NativeOpAttr } from '../device/native-backend.js';
import { tf, tidyValues } from '../device/tf.js';

/** Adam's hyper-parameters. */
export interface AdamOptions {
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** ε of the denominator (default 1e-8). */
  epsilon?: number;
  /**
   * Where ε goes: 'tensorflow' (default) divides by √v + ε with the bias correction folded into
   * the step size; 'pytorch' divides by √(v / (1 − β₂ᵗ)) + ε, as torch.optim.Adam does.
   */
  epsilonMode?: 'tensorflow' | 'pytorch';
  /** Clip the global gradient norm to this value (0 or undefined: no clipping). */
  clipNorm?: number;
  /** Use TensorFlow's fused kernel: 'auto' (default) when the active backend is native TensorFlow. */
  fused?: boolean | 'auto';
}

let handleCounter = 0;

/** A float32 TensorFlow resource variable on the native backend. */
class NativeVariable {
  private readonly be: NativeBackend;
  readonly handle: tf.Tensor;

  constructor(init: tf.Tensor) {
    this.be = tf.backend() as unknown as NativeBackend;
    const b = this.be.binding;
    handleCounter += 1;
    this.handle = this.be.executeSingleOutput(
      'VarHandleOp',
      [
        { name: 'container', type: b['TF_ATTR_STRING']!, value: '' },
        { name: 'shared_name', type: b['TF_ATTR_STRING']!, value: `calozoo_adam_${process.pid}_${handleCounter}` },
        floatAttr(this.be, 'dtype'),
        { name: 'shape', type: b['TF_ATTR_SHAPE']!, value: init.shape },
      ],
      [],
    );
    tf.keep(this.handle);
    this.assign(init);
  }

  private get dtypeAttr(): NativeOpAttr[] {
    return [floatAttr(this.be, 'dtype')];
  }

  /** Copies `x` into the variable. */
  assign(x: tf.Tensor): void {
    this.be.executeMultipleOutputs('AssignVariableOp', this.dtypeAttr, [this.handle, x], 0);
  }

  /** The current value (a new tensor). */
  read(): tf.Tensor {
    return this.be.executeSingleOutput('ReadVariableOp', this.dtypeAttr, [this.handle]);
  }

  /** Frees the variable. */
  dispose(): void {
    this.be.executeMultipleOutputs('DestroyResourceOp', [boolAttr(this.be, 'ignore_lookup_error', true)], [this.handle], 0);
    this.handle.dispose();
  }
}

/** Fused state of one variable: weights, first and second moment as resource variables. */
interface FusedSlot {
  w: NativeVariable;
  m: NativeVariable;
  v: NativeVariable;
  /** The TF.js variable's data id when `w` last matched it (a different id: assigned from outside). */
  seen: object;
}

/** The data id behind a TF.js tensor (changes whenever a variable is assigned). */
const dataIdOf = (x: tf.Tensor): object => (x as unknown as { dataId: object }).dataId;

/** Adam over a fixed set of named variables (see the module comment). */
export class Adam {
  /** Number of updates applied so far. */
  step = 0;
  /** Whether updates run as TensorFlow's fused kernel. */
  readonly fused: boolean;
  private readonly names: string[];
  /** Stable name by TF.js variable name (the keys of `tf.variableGrads`). */
  private readonly byVariableName: Map<string, string>;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly slots = new Map<string, FusedSlot>();
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly pytorchEps: boolean;
  private readonly clip: number;

  /** Creates zeroed moments for `vars` (stable name → variable). */
  constructor(
    private readonly vars: Record<string, tf.Variable>,
    options: AdamOptions = {},
  ) {
    this.b1 = options.beta1 ?? 0.9;
    this.b2 = options.beta2 ?? 0.999;
    this.eps = options.epsilon ?? 1e-8;
    this.pytorchEps = options.epsilonMode === 'pytorch';
    this.clip = options.clipNorm ?? 0;
    this.names = Object.keys(vars);
    this.byVariableName = new Map(this.names.map((k) => [vars[k]!.name, k]));
    const native = nativeOpsAvailable();
    if (options.fused === true && !native) throw new InvalidArgumentError(`Adam: fused updates need the native TensorFlow backend, but the active backend is ${tf.getBackend()}`);
    this.fused = options.fused === 'auto' || options.fused === undefined ? native : options.fused;
    for (const k of this.names) {
      const x = vars[k]!;
      if (x.dtype !== 'float32') throw new InvalidArgumentError(`Adam: variable ${k} is ${x.dtype}; only float32 variables are supported`);
      if (this.fused) {
        tf.tidy(() => {
          this.slots.set(k, { w: new NativeVariable(x), m: new NativeVariable(tf.zerosLike(x)), v: new NativeVariable(tf.zerosLike(x)), seen: dataIdOf(x) });
        });
      } else {
        tf.tidy(() => {
          this.m.set(k, tf.variable(tf.zerosLike(x), false));
          this.v.set(k, tf.variable(tf.zerosLike(x), false));
        });
      }
    }
  }

  /**
   * Applies one update with learning rate `lr`; `grads` is keyed by stable name (a missing
   * gradient counts as zero).
   * @returns the global gradient norm before clipping (computed only when clipping is on; else NaN)
   */
  apply(grads: Record<string, tf.Tensor>, lr: number): number {
    return this.update(grads, lr, false);
  }

  /**
   * `apply`, variable by variable, each in its own scope so that at most one variable's
   * temporaries exist at a time; with `consume` each gradient is released once it has been used.
   */
  private update(grads: Record<string, tf.Tensor>, lr: number, consume: boolean): number {
    this.step += 1;
    const t = this.step;
    const have = this.names.filter((k) => grads[k]);
    const norm = this.clip > 0 ? this.globalNorm(have.map((k) => grads[k]!)) : NaN;
    const scale = this.clip > 0 && norm > this.clip ? this.clip / norm : 1;
    const c1 = 1 - Math.pow(this.b1, t);
    const c2 = 1 - Math.pow(this.b2, t);
    // ε in the TensorFlow form; PyTorch's √(v/c2) + ε equals √v + ε·√c2 after rescaling the step.
    const eps = this.pytorchEps ? this.eps * Math.sqrt(c2) : this.eps;
    const scalars = this.fused ? [Math.pow(this.b1, t), Math.pow(this.b2, t), lr, this.b1, this.b2, eps].map((x) => tf.keep(tf.scalar(x, 'float32'))) : [];
    const lrT = (lr * Math.sqrt(c2)) / c1;
    try {
      for (const k of have) {
        tf.tidy(() => {
          const g = scale === 1 ? grads[k]! : tf.mul(grads[k]!, scale);
          if (this.fused) this.applyFused(k, g, scalars);
          else {
            const m = this.m.get(k)!;
            const v = this.v.get(k)!;
            m.assign(tf.add(tf.mul(m, this.b1), tf.mul(g, 1 - this.b1)));
            v.assign(tf.add(tf.mul(v, this.b2), tf.mul(tf.square(g), 1 - this.b2)));
            this.vars[k]!.assign(tf.sub(this.vars[k]!, tf.mul(lrT, tf.div(m, tf.add(tf.sqrt(v), eps)))));
          }
        });
        if (consume) grads[k]!.dispose();
      }
    } finally {
      tf.dispose(scalars);
    }
    return norm;
  }

  /**
   * One training step: the gradients of `loss` with respect to the variables (`tf.variableGrads`),
   * then `apply`. Returns the loss value; the gradients are released.
   *
   * `loss` may also be a list of parts with weights (gradient accumulation): the step then follows
   * the gradient of Σ weight·loss, computed one part at a time, so that only one part's
   * activations are held at once (a large batch split into slices, weights = slice share).
   */
  minimize(loss: (() => tf.Scalar) | Array<{ loss: () => tf.Scalar; weight: number }>, lr: number): number {
    const parts = typeof loss === 'function' ? [{ loss, weight: 1 }] : loss;
    if (parts.length === 0) throw new InvalidArgumentError('Adam.minimize: no loss parts');
    const vars = this.names.map((k) => this.vars[k]!);
    let total = 0;
    const sum: Record<string, tf.Tensor> = {};
    try {
      for (const part of parts) {
        // The weight goes into the loss, so the tape returns weighted gradients (no full-size multiply).
        const weighted = part.weight === 1 ? part.loss : (): tf.Scalar => tf.mul(part.loss(), part.weight);
        const { value, grads } = tf.variableGrads(weighted, vars);
        total += value.dataSync()[0]!;
        value.dispose();
        for (const [variableName, g] of Object.entries(grads)) {
          const k = this.byVariableName.get(variableName)!;
          const prev = sum[k];
          if (!prev) sum[k] = g;
          else {
            sum[k] = tf.add(prev, g);
            tf.dispose([prev, g]);
          }
        }
      }
      this.update(sum, lr, true);
      return total;
    } finally {
      tf.dispose(Object.values(sum).filter((g) => !g.isDisposed));
    }
  }

  /** √Σ g² over all gradients: TensorFlow's L2Loss (Σ g² / 2, one kernel, no temporary) per tensor when fused. */
  private globalNorm(gs: tf.Tensor[]): number {
    return tf.tidy(() => {
      if (!this.fused) return Math.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))).dataSync()[0]!);
      const be = tf.backend() as unknown as NativeBackend;
      const halves = gs.map((g) => be.executeSingleOutput('L2Loss', [floatAttr(be, 'T')], [g]));
      return Math.sqrt(2 * tf.addN(halves).dataSync()[0]!);
    });
  }

  /**
   * The fused update of variable `k` (inside a tidy): ResourceApplyAdam, then the TF.js variable
   * takes the new value. A variable assigned from outside since the last step (restored weights, a
   * data-dependent initialisation) is copied into the resource variable first.
   */
  private applyFused(k: string, g: tf.Tensor, scalars: tf.Tensor[]): void {
    const be = tf.backend() as unknown as NativeBackend;
    const attrs = [floatAttr(be, 'T'), boolAttr(be, 'use_locking', false), boolAttr(be, 'use_nesterov', false)];
    const s = this.slots.get(k)!;
    const x = this.vars[k]!;
    if (dataIdOf(x) !== s.seen) s.w.assign(x);
    be.executeMultipleOutputs('ResourceApplyAdam', attrs, [s.w.handle, s.m.handle, s.v.handle, ...scalars, g], 0);
    x.assign(s.w.read());
    s.seen = dataIdOf(x);
  }

  /**
   * The optimizer state as named tensors (`m.<name>`, `v.<name>`, `step`); with `deferred` the
   * moments are read only when written (a checkpoint then holds one moment's copy at a time).
   */
  state(): Record<string, NamedTensor>;
  state(options: { deferred: true }): Record<string, TensorToWrite>;
  state(options: { deferred?: boolean } = {}): Record<string, TensorToWrite> {
    const out: Record<string, TensorToWrite> = { step: { dtype: 'F64', shape: [1], data: Float64Array.of(this.step) } };
    // A copy for the caller to keep; a deferred read is written at once and may share the backend's array.
    const read = (x: () => tf.Tensor): Float32Array => new Float32Array(tidyValues(x));
    const peek = (x: () => tf.Tensor): Float32Array => tidyValues(x);
    for (const k of this.names) {
      const s = this.slots.get(k);
      const m = s ? () => s.m.read() : () => this.m.get(k)!;
      const v = s ? () => s.v.read() : () => this.v.get(k)!;
      const shape = [...this.vars[k]!.shape];
      if (options.deferred) {
        out[`m.${k}`] = { dtype: 'F32', shape, read: () => peek(m) };
        out[`v.${k}`] = { dtype: 'F32', shape, read: () => peek(v) };
      } else {
        out[`m.${k}`] = { dtype: 'F32', shape, data: read(m) };
        out[`v.${k}`] = { dtype: 'F32', shape, data: read(v) };
      }
    }
    return out;
  }

  /** Restores a state written by `state()` (on either path); moments it lacks start again at zero. */
  setState(s: Record<string, TensorToWrite>): void {
    this.step = s['step'] ? Number(tensorValues(s['step'])[0]) : 0;
    for (const k of this.names) {
      const shape = this.vars[k]!.shape;
      tf.tidy(() => {
        const m = s[`m.${k}`] ? tf.tensor(float32Values(s[`m.${k}`]!), shape) : tf.zeros(shape);
        const v = s[`v.${k}`] ? tf.tensor(float32Values(s[`v.${k}`]!), shape) : tf.zeros(shape);
        const slot = this.slots.get(k);
        if (slot) {
          slot.m.assign(m);
          slot.v.assign(v);
        } else {
          this.m.get(k)!.assign(m);
          this.v.get(k)!.assign(v);
        }
      });
    }
  }

  /** Releases the moments (and the fused resource variables). */
  dispose(): void {
    for (const x of this.m.values()) x.dispose();
    for (const x of this.v.values()) x.dispose();
    for (const s of this.slots.values()) {
      s.w.dispose();
      s.m.dispose();
      s.v.dispose();
    }
    this.m.clear();
    this.v.clear();
    this.slots.clear();
  }
}
