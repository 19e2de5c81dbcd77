/**
 * Named trainable parameters of CaloMan's networks. Each tensor has a stable name (the key in
 * the component's safetensors file) and a process-unique TensorFlow.js registration name, so
 * that several models can live in one process.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelFormatError, float32Values, type NamedTensor, type TensorToWrite } from '@calozoo/core';

let instances = 0;

/** A set of named variables owned by one network component. */
export class ParamStore {
  /** Prefix that makes the TensorFlow.js variable names unique in the process. */
  readonly prefix: string;
  private readonly vars = new Map<string, tf.Variable>();

  /** Creates an empty store; `label` only helps debugging. */
  constructor(label: string) {
    instances += 1;
    this.prefix = `caloman${instances}/${label}`;
  }

  /** Adds a trainable variable under a stable name (taking ownership of `init`). */
  add(name: string, init: tf.Tensor): tf.Variable {
    if (this.vars.has(name)) throw new Error(`ParamStore: duplicate parameter "${name}" (this is a bug)`);
    const v = tf.variable(init, true, `${this.prefix}/${name}`);
    init.dispose();
    this.vars.set(name, v);
    return v;
  }

  /** Registers existing variables (a layer's `params()`) under `name.<key>`; the store owns them from now on. */
  adopt(name: string, vars: Record<string, tf.Variable>): void {
    for (const [k, v] of Object.entries(vars)) {
      const key = `${name}.${k}`;
      if (this.vars.has(key)) throw new Error(`ParamStore: duplicate parameter "${key}" (this is a bug)`);
      this.vars.set(key, v);
    }
  }

  /** The variables by stable name, in insertion order. */
  named(): Record<string, tf.Variable> {
    return Object.fromEntries(this.vars);
  }

  /** The variables as a list (for `tf.variableGrads`). */
  list(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** Number of scalar parameters. */
  count(): number {
    let c = 0;
    for (const v of this.vars.values()) c += v.size;
    return c;
  }

  /** Copies the values out as plain named tensors (for safetensors). */
  toNamed(): Record<string, NamedTensor> {
    const out: Record<string, NamedTensor> = {};
    for (const [k, v] of this.vars) out[k] = { dtype: 'F32', shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) };
    return out;
  }

  /** Assigns values from plain named tensors, checking names and shapes; `source` names the file. */
  assignNamed(tensors: Record<string, TensorToWrite>, source: string): void {
    for (const [k, v] of this.vars) {
      const t = tensors[k];
      if (!t) throw new ModelFormatError(`${source}: tensor "${k}" is missing; was the file written by another CaloMan configuration?`);
      if (t.shape.length !== v.shape.length || t.shape.some((s, i) => s !== v.shape[i])) {
        throw new ModelFormatError(`${source}: tensor "${k}" has shape [${t.shape}], expected [${v.shape}] from config.json.`);
      }
      tf.tidy(() => v.assign(tf.tensor(float32Values(t), v.shape, 'float32')));
    }
  }

  /** Releases every variable. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
