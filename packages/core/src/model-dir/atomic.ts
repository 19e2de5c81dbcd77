/**
 * Atomic file writes: data goes to a temporary sibling and is renamed into place only when
 * complete, so an interrupted write never leaves a file that looks finished.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ModelFormatError } from '../errors.js';

/** Returns a unique temporary sibling path for `target` (same directory, so rename is atomic). */
export function temporarySibling(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes `data` to `target` atomically (temporary sibling + rename). */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = temporarySibling(target);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Writes `value` as pretty-printed JSON to `target` atomically. */
export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}

/** Reads and parses a JSON file; a missing or malformed file is a ModelFormatError naming it. */
export async function readJson<T = unknown>(file: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ModelFormatError(`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)}). Check the path.`, {
      cause: err,
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ModelFormatError(`${file}: not valid JSON (${(err as Error).message}).`, { cause: err });
  }
}
