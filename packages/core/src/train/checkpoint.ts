/**
 * Training checkpoints: `checkpoints/epoch-NNNN/` holding `state.json` (phase states, history,
 * the plugin's own state such as preprocessing constants), `weights.safetensors` (every network
 * of the model), `optimizer.safetensors` (the running phase's Adam moments and steps) and
 * `best.safetensors` (best weights of the running phase), plus a `latest` file naming the newest
 * folder. Folders are written under a temporary name and renamed when complete; only the newest
 * two are kept.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelFormatError } from '../errors.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../model-dir/atomic.js';
import { openSafetensors, writeSafetensors, type DeferredTensor, type TensorToWrite } from '../model-dir/safetensors.js';

/** Version of the checkpoint layout. */
export const CHECKPOINT_FORMAT_VERSION = 2;

/** A checkpoint as read: the JSON state, and tensors that are read from the folder when used. */
export interface Checkpoint<S = unknown> {
  /** JSON state (trainer and preprocessing). */
  state: S;
  weights: Record<string, DeferredTensor>;
  optimizer: Record<string, DeferredTensor>;
  best: Record<string, DeferredTensor> | null;
}

/** A checkpoint to write: tensors may be deferred (read one at a time as they are written). */
export interface CheckpointToWrite<S = unknown> {
  state: S;
  weights: Record<string, TensorToWrite>;
  optimizer: Record<string, TensorToWrite>;
  best: Record<string, TensorToWrite> | null;
}

/** Folder name of the checkpoint after `epoch` epochs in total. */
export function checkpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/** Writes a checkpoint folder and points `latest` at it; keeps the newest `keep` folders. */
export async function writeCheckpoint(dir: string, name: string, ck: CheckpointToWrite, keep = 2): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  const tmp = path.join(dir, `.${name}.tmp-${process.pid}`);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  await writeJsonAtomic(path.join(tmp, 'state.json'), { formatVersion: CHECKPOINT_FORMAT_VERSION, ...(ck.state as object) });
  await writeSafetensors(path.join(tmp, 'weights.safetensors'), ck.weights);
  await writeSafetensors(path.join(tmp, 'optimizer.safetensors'), ck.optimizer);
  if (ck.best) await writeSafetensors(path.join(tmp, 'best.safetensors'), ck.best);
  await fs.rm(target, { recursive: true, force: true });
  await fs.rename(tmp, target);
  await writeFileAtomic(path.join(dir, 'latest'), name + '\n');
  const all = (await fs.readdir(dir)).filter((f) => /^epoch-\d+$/.test(f)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) if (old !== name) await fs.rm(path.join(dir, old), { recursive: true, force: true });
}

/**
 * Opens the checkpoint named by `dir/latest` (the state is read; each tensor when it is used, one
 * at a time, so resuming a large model holds no second copy of it), or returns null when there is
 * none. Use its tensors before the next checkpoint is written: only the newest two are kept.
 */
export async function readLatestCheckpoint<S>(dir: string): Promise<Checkpoint<S> | null> {
  let name: string;
  try {
    name = (await fs.readFile(path.join(dir, 'latest'), 'utf8')).trim();
  } catch {
    return null;
  }
  const folder = path.join(dir, name);
  const state = await readJson<S & { formatVersion?: number }>(path.join(folder, 'state.json'));
  if ((state.formatVersion ?? 0) < CHECKPOINT_FORMAT_VERSION) {
    throw new ModelFormatError(`${folder}/state.json: checkpoint format ${state.formatVersion ?? 0} was written by an older calozoo (this one reads ${CHECKPOINT_FORMAT_VERSION}); start without --resume.`);
  }
  if ((state.formatVersion ?? 0) > CHECKPOINT_FORMAT_VERSION) {
    throw new ModelFormatError(`${folder}/state.json: checkpoint format ${state.formatVersion} is newer than this @calozoo/core reads (${CHECKPOINT_FORMAT_VERSION}); upgrade the package or start without --resume.`);
  }
  const weights = openSafetensors(path.join(folder, 'weights.safetensors')).tensors;
  const optimizer = openSafetensors(path.join(folder, 'optimizer.safetensors')).tensors;
  const bestFile = path.join(folder, 'best.safetensors');
  const best = existsSync(bestFile) ? openSafetensors(bestFile).tensors : null;
  return { state, weights, optimizer, best };
}
