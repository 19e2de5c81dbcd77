/**
 * Kernels a backend lacks (or computes wrongly) run the cpu backend's implementation on the
 * tensors' data instead: slower, because data is copied, but correct and available. This covers
 * wasm's missing UnsortedSegmentSum (the gradient of tf.gather), its wrong Conv3DBackprop*
 * kernels, and tfjs-node's missing SearchSorted (rational-quadratic spline bin lookup).
 */
import { tf } from './tf.js';

/** A kernel routed to the cpu implementation on another backend. */
export interface KernelFallback {
  backend: string;
  kernel: string;
  /** 'missing': the backend has no such kernel; 'wrong': its own kernel gives wrong results. */
  why: 'missing' | 'wrong';
}

/** Kernels with complex or string data, which cannot be copied between backends this way. */
const NOT_COPYABLE = new Set([
  'Complex', 'ComplexAbs', 'FFT', 'IFFT', 'IRFFT', 'RFFT', 'Imag', 'Real', 'StaticRegexReplace',
  'StringNGrams', 'StringSplit', 'StringToHashBucketFast', 'Draw', 'FromPixels',
]);

/** Kernels measured to be wrong on a backend (see capabilities.ts and parity.test.ts). */
const WRONG: Record<string, string[]> = {
  wasm: ['Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'],
};

type Info = tf.TensorInfo;

function cpuFallback(kernelName: string, backendName: string): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = ({ inputs, attrs, backend: own }) => {
    const backend = own as tf.KernelBackend;
    const cpu = tf.findBackend('cpu');
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    if (!cpu || !cpuKernel) throw new Error(`calozoo: cpu fallback for ${kernelName} needs the cpu backend`);
    const cpuInputs: Record<string, Info> = {};
    const temporaries: Info[] = [];
    for (const [name, info] of Object.entries(inputs)) {
      if (info == null) continue;
      const copy = { dataId: cpu.write(backend.readSync(info.dataId), info.shape, info.dtype), shape: info.shape, dtype: info.dtype };
      cpuInputs[name] = copy;
      temporaries.push(copy);
    }
    const out = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs, backend: cpu });
    const outs = Array.isArray(out) ? out : [out];
    const results = outs.map((o) => {
      const dataId = backend.write(cpu.readSync(o.dataId), o.shape, o.dtype);
      temporaries.push(o);
      return { dataId, shape: o.shape, dtype: o.dtype };
    });
    for (const t of temporaries) cpu.disposeData(t.dataId);
    return Array.isArray(out) ? results : results[0]!;
  };
  return { kernelName, backendName, kernelFunc };
}

const installed = new Set<string>();

/** Routes missing or wrong kernels of `backendName` to cpu; returns what was routed this call. */
export function installCpuFallbacks(backendName: string): KernelFallback[] {
  if (backendName === 'cpu' || !tf.findBackendFactory(backendName)) return [];
  const done: KernelFallback[] = [];
  const have = new Set(tf.getKernelsForBackend(backendName).map((k) => k.kernelName));
  for (const { kernelName } of tf.getKernelsForBackend('cpu')) {
    const key = `${backendName}/${kernelName}`;
    if (installed.has(key) || NOT_COPYABLE.has(kernelName)) continue;
    const wrong = WRONG[backendName]?.includes(kernelName) ?? false;
    if (have.has(kernelName) && !wrong) continue;
    if (have.has(kernelName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(cpuFallback(kernelName, backendName));
    installed.add(key);
    done.push({ backend: backendName, kernel: kernelName, why: wrong ? 'wrong' : 'missing' });
  }
  return done;
}
