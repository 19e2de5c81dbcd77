/**
 * Peak float32 FLOP/s of this CPU, for the benchmarks' "% of peak" columns, from /proc/cpuinfo:
 * cores × nominal clock ("cpu MHz", which in a VM is the TSC rate; boost clocks are invisible
 * there) × FLOP/cycle from the vector units: 64 for two 512-bit FMA pipes (AVX-512 on Intel server
 * cores and on AMD Zen 5, family 26), 32 for two 256-bit FMA pipes (AVX2 + FMA, and Zen 4's
 * double-pumped AVX-512), 16 otherwise.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** { model, cores, ghz, perCycle, units, flops, text } of this machine (2.6 GHz AVX2 where /proc/cpuinfo is missing). */
export function cpuPeak() {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    /* not Linux: fall back to the 2.6 GHz AVX2 guess below */
  }
  const field = (name) => info.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
  const flags = new Set((field('flags') ?? 'avx2 fma').split(/\s+/));
  const mhz = Number(field('cpu MHz')) || 2600;
  const amd = (field('vendor_id') ?? '').includes('AMD');
  const family = Number(field('cpu family') ?? 0);
  const perCycle = flags.has('avx512f') && (!amd || family >= 26) ? 64 : flags.has('avx2') && flags.has('fma') ? 32 : 16;
  const units = perCycle === 64 ? 'two 512-bit FMA pipes' : perCycle === 32 ? 'two 256-bit FMA pipes' : 'SSE';
  const cores = cpus().length;
  return {
    model: field('model name') ?? cpus()[0]?.model ?? 'unknown',
    cores, ghz: mhz / 1000, perCycle, units,
    flops: cores * mhz * 1e6 * perCycle,
    text: `${cores} cores × ${(mhz / 1000).toFixed(2)} GHz (nominal) × ${perCycle} float32 FLOP/cycle (${units})`,
  };
}
