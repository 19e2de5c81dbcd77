/**
 * Picks the onnxruntime-node execution providers used for generation: cuda when its provider
 * library and an NVIDIA driver are present, then cpu. Same contract as `selectTfBackend`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { BackendUnavailableError, InvalidArgumentError, type BackendFailure } from '../errors.js';
import { ORT_PROVIDER_PRIORITY, type OrtDeviceReport, type OrtProviderName, type SelectOrtProvidersOptions } from './types.js';

interface OrtModule {
  listSupportedBackends?: () => { name: string; bundled: boolean }[];
}

/** Directories holding onnxruntime-node's native libraries for this platform. */
function ortBinaryDirs(): string[] {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  const bin = join(dirname(entry), '..', 'bin');
  if (!existsSync(bin)) return [];
  return readdirSync(bin)
    .filter((d) => d.startsWith('napi-v'))
    .map((d) => join(bin, d, process.platform, process.arch))
    .filter((d) => existsSync(d));
}

/** Why cuda cannot run here, or undefined when it can. */
function cudaUnavailableReason(ort: OrtModule): string | undefined {
  const listed = ort.listSupportedBackends?.().find((b) => b.name === 'cuda');
  if (!listed) return 'this onnxruntime-node build has no CUDA execution provider';
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (!listed.bundled && !ortBinaryDirs().some((d) => existsSync(join(d, lib)))) {
    return `${lib} not installed (onnxruntime-node's install script downloads it; run it with ONNXRUNTIME_NODE_INSTALL_CUDA=v12)`;
  }
  if (process.platform === 'linux' && !existsSync('/proc/driver/nvidia/version')) return 'no NVIDIA driver loaded';
  return undefined;
}

/**
 * Selects onnxruntime-node execution providers (`cuda` → `cpu`) and reports the choice; pass
 * `report.executionProviders` to `InferenceSession.create`.
 * @throws BackendUnavailableError when a forced provider (or onnxruntime-node itself) cannot start.
 */
export async function selectOrtProviders(options: SelectOrtProvidersOptions = {}): Promise<OrtDeviceReport> {
  const { provider, logger } = options;
  if (provider !== undefined && !ORT_PROVIDER_PRIORITY.includes(provider)) {
    throw new InvalidArgumentError(
      `selectOrtProviders: unknown provider "${String(provider)}"; expected one of ${ORT_PROVIDER_PRIORITY.join(', ')}.`,
    );
  }
  let ort: OrtModule;
  try {
    const spec = 'onnxruntime-node';
    ort = (await import(spec)) as OrtModule;
  } catch (error) {
    const failures = [{ name: provider ?? 'cpu', reason: `onnxruntime-node failed to load: ${(error as Error).message.split('\n')[0]}` }];
    throw new BackendUnavailableError(`${failures[0]!.reason}. Reinstall calozoo's dependencies with \`npm install\`.`, failures, { cause: error });
  }
  const tried: BackendFailure[] = [];
  for (const name of provider ? [provider] : ORT_PROVIDER_PRIORITY) {
    const reason = name === 'cuda' ? cudaUnavailableReason(ort) : undefined;
    if (reason === undefined) {
      const executionProviders: OrtProviderName[] = name === 'cuda' ? ['cuda', 'cpu'] : ['cpu'];
      logger?.info?.(`onnxruntime execution providers: ${executionProviders.join(', ')}`);
      return { runtime: 'onnxruntime', chosen: name, tried, executionProviders, threads: availableParallelism() };
    }
    tried.push({ name, reason });
    logger?.debug?.(`onnxruntime provider ${name} unavailable: ${reason}`);
  }
  throw new BackendUnavailableError(
    `onnxruntime execution provider "${provider}" was requested but cannot start: ${tried[0]?.reason}. Use --provider cpu.`,
    tried,
  );
}
