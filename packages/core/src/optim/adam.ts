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
import type { NamedTensor } from '../model-dir/safetensors.js';
import { boolAttr, floatAttr, nativeOpsAvailable, type NativeBackend, type NativeOpAttr } from '../device/native-backend.js';
import { tf } from '../device/tf.js';

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
    this.step += 1;
    const t = this.step;
    const have = this.names.filter((k) => grads[k]);
    const norm = this.clip > 0 ? this.globalNorm(have.map((k) => grads[k]!)) : NaN;
    const scale = this.clip > 0 && norm > this.clip ? this.clip / norm : 1;
    const c1 = 1 - Math.pow(this.b1, t);
    const c2 = 1 - Math.pow(this.b2, t);
    // ε in the TensorFlow form; PyTorch's √(v/c2) + ε equals √v + ε·√c2 after rescaling the step.
    const eps = this.pytorchEps ? this.eps * Math.sqrt(c2) : this.eps;
    tf.tidy(() => {
      if (this.fused) this.applyFused(have, grads, scale, lr, t, eps);
      else {
        const lrT = (lr * Math.sqrt(c2)) / c1;
        for (const k of have) {
          const g = scale === 1 ? grads[k]! : tf.mul(grads[k]!, scale);
          const m = this.m.get(k)!;
          const v = this.v.get(k)!;
          m.assign(tf.add(tf.mul(m, this.b1), tf.mul(g, 1 - this.b1)));
          v.assign(tf.add(tf.mul(v, this.b2), tf.mul(tf.square(g), 1 - this.b2)));
          this.vars[k]!.assign(tf.sub(this.vars[k]!, tf.mul(lrT, tf.div(m, tf.add(tf.sqrt(v), eps)))));
        }
      }
    });
    return norm;
  }

  /**
   * One training step: the gradients of `loss` with respect to the variables (`tf.variableGrads`),
   * then `apply`. Returns the loss value; the gradients are released.
   */
  minimize(loss: () => tf.Scalar, lr: number): number {
    const { value, grads } = tf.variableGrads(loss, this.names.map((k) => this.vars[k]!));
    try {
      const named: Record<string, tf.Tensor> = {};
      for (const [variableName, g] of Object.entries(grads)) named[this.byVariableName.get(variableName)!] = g;
      const lossValue = value.dataSync()[0]!;
      this.apply(named, lr);
      return lossValue;
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
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
   * The fused update (inside a tidy): ResourceApplyAdam per variable, then the TF.js variable takes
   * the new value. A variable assigned from outside since the last step (restored weights, a
   * data-dependent initialisation) is copied into the resource variable first.
   */
  private applyFused(names: string[], grads: Record<string, tf.Tensor>, scale: number, lr: number, t: number, eps: number): void {
    const be = tf.backend() as unknown as NativeBackend;
    const attrs = [floatAttr(be, 'T'), boolAttr(be, 'use_locking', false), boolAttr(be, 'use_nesterov', false)];
    const scalars = [Math.pow(this.b1, t), Math.pow(this.b2, t), lr, this.b1, this.b2, eps].map((x) => tf.scalar(x, 'float32'));
    for (const k of names) {
      const s = this.slots.get(k)!;
      const x = this.vars[k]!;
      if (dataIdOf(x) !== s.seen) s.w.assign(x);
      const g = scale === 1 ? grads[k]! : tf.mul(grads[k]!, scale);
      be.executeMultipleOutputs('ResourceApplyAdam', attrs, [s.w.handle, s.m.handle, s.v.handle, ...scalars, g], 0);
      x.assign(s.w.read());
      s.seen = dataIdOf(x);
    }
  }

  /** The optimizer state as named tensors (`m.<name>`, `v.<name>`, `step`). */
  state(): Record<string, NamedTensor> {
    const out: Record<string, NamedTensor> = { step: { dtype: 'F64', shape: [1], data: Float64Array.of(this.step) } };
    const copy = (x: tf.Tensor): NamedTensor => ({ dtype: 'F32', shape: [...x.shape], data: new Float32Array(x.dataSync() as Float32Array) });
    for (const k of this.names) {
      const s = this.slots.get(k);
      if (s) {
        tf.tidy(() => {
          out[`m.${k}`] = copy(s.m.read());
          out[`v.${k}`] = copy(s.v.read());
        });
      } else {
        out[`m.${k}`] = copy(this.m.get(k)!);
        out[`v.${k}`] = copy(this.v.get(k)!);
      }
    }
    return out;
  }

  /** Restores a state written by `state()` (on either path); moments it lacks start again at zero. */
  setState(s: Record<string, NamedTensor>): void {
    this.step = Number(s['step']?.data[0] ?? 0);
    for (const k of this.names) {
      const shape = this.vars[k]!.shape;
      tf.tidy(() => {
        const m = s[`m.${k}`] ? tf.tensor(Float32Array.from(s[`m.${k}`]!.data), shape) : tf.zeros(shape);
        const v = s[`v.${k}`] ? tf.tensor(Float32Array.from(s[`v.${k}`]!.data), shape) : tf.zeros(shape);
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
