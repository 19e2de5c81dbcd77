/**
 * Keeps the native TensorFlow library's start-up lines off the terminal. TensorFlow 2.21 writes
 * absl's "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
 * and "oneDNN custom operations are on …" straight to file descriptor 2 while it loads, before
 * `TF_CPP_MIN_LOG_LEVEL` applies. `npm run setup:native` builds a small N-API addon next to
 * tfjs-node's binding (tools/native/stdio-guard) that points fd 2 at a file and back; while the
 * library loads, fd 2 goes to a temporary file, and afterwards every line of it that is not one
 * of TensorFlow's informational log lines is written to stderr again (nothing else is lost; when
 * loading fails, everything is). Without the addon (tfjs-node installed by its own script) the
 * lines are printed as before.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** File name of the addon next to tfjs-node's `lib/napi-v8/tfjs_binding.node`. */
const STDIO_GUARD_FILE = 'calozoo_stdio_guard.node';

/** The addon's interface: fd 2 to a file and back. */
export interface StdioGuard {
  /** Points fd 2 at `path`; returns a duplicate of the previous fd 2. */
  redirect(path: string): number;
  /** Makes the saved descriptor fd 2 again. */
  restore(saved: number): void;
}

/** absl's log-line prefix (severity I or W: information and warnings) and its pre-initialisation notice. */
const STARTUP_LINE = /^(?:[IW]\d{4} [\d:.]+\s+\d+ [\w.-]+:\d+\] |WARNING: All log messages before absl::InitializeLog\(\) is called)/;

/** The lines of TensorFlow's start-up output that are not informational log lines (what still reaches stderr). */
export function unexpectedStartupLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '' && !STARTUP_LINE.test(line));
}

/** The guard addon installed next to `pkg`'s native binding, if any. */
function findGuard(pkg: string): StdioGuard | undefined {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
  const file = join(dir, 'lib', 'napi-v8', STDIO_GUARD_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const guard = require(file) as Partial<StdioGuard>;
    return typeof guard.redirect === 'function' && typeof guard.restore === 'function' ? (guard as StdioGuard) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `load` (which loads `pkg`'s native library) with fd 2 sent to a temporary file when the
 * guard addon is installed (`guard`: found next to `pkg`'s binding unless given); afterwards writes
 * back to stderr whatever is not TensorFlow's informational start-up output (all of it when `load`
 * fails).
 */
export async function withStartupLinesHidden<T>(pkg: string, load: () => Promise<T>, guard: StdioGuard | undefined = findGuard(pkg)): Promise<T> {
  if (!guard) return load();
  const file = join(tmpdir(), `calozoo-tf-start-${process.pid}-${Date.now()}.log`);
  // Node creates process.stderr on first use, as a terminal or a file stream after what fd 2 is
  // then: make it now, while fd 2 is still the user's (else a terminal would look like a file).
  const stderr = process.stderr;
  let saved: number;
  try {
    saved = guard.redirect(file);
  } catch {
    // No writable temporary directory: load with TensorFlow's lines shown rather than not at all.
    return load();
  }
  let failed = false;
  try {
    return await load();
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    guard.restore(saved);
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } finally {
      rmSync(file, { force: true });
    }
    const keep = failed ? text.split('\n').filter((l) => l.trim() !== '') : unexpectedStartupLines(text);
    if (keep.length) stderr.write(`${keep.join('\n')}\n`);
  }
}
