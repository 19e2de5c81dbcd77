import { appendFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { unexpectedStartupLines, withStartupLinesHidden, type StdioGuard } from './stdio-guard.js';

/** A guard that records its calls; `load` below writes to the redirected file itself, as TensorFlow would to fd 2. */
function fakeGuard(failRedirect = false): StdioGuard & { file?: string; calls: string[] } {
  const g = {
    calls: [] as string[],
    file: undefined as string | undefined,
    redirect(path: string) {
      g.calls.push('redirect');
      if (failRedirect) throw new Error('stdio guard: open failed: Read-only file system');
      g.file = path;
      return 42;
    },
    restore(saved: number) {
      g.calls.push(`restore ${saved}`);
    },
  };
  return g;
}

describe('TensorFlow start-up output kept off the terminal', () => {
  it('drops absl information and warning lines and the pre-initialisation notice, keeps everything else', () => {
    const text = [
      'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR',
      'I0000 00:00:1796401046.025304   19130 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results.',
      'W0000 00:00:1796401046.149082   19130 cpu_feature_guard.cc:227] something TensorFlow warns about',
      'E0000 00:00:1796401046.149082   19130 cuda_dnn.cc:10] an error TensorFlow reports',
      'progress 10%: a line another part of the program wrote meanwhile',
      '',
    ].join('\n');
    expect(unexpectedStartupLines(text)).toEqual([
      'E0000 00:00:1796401046.149082   19130 cuda_dnn.cc:10] an error TensorFlow reports',
      'progress 10%: a line another part of the program wrote meanwhile',
    ]);
    expect(unexpectedStartupLines('')).toEqual([]);
  });

  it('passes on what is not start-up chatter, everything when loading fails, and loads unguarded when it cannot redirect', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const g = fakeGuard();
      const value = await withStartupLinesHidden('pkg', async () => {
        appendFileSync(g.file!, 'I0000 00:00:1.0   1 port.cc:153] oneDNN custom operations are on.\nsomething else\n');
        return 7;
      }, g);
      expect(value).toBe(7);
      expect(g.calls).toEqual(['redirect', 'restore 42']);
      expect(written.join('')).toBe('something else\n');

      written.length = 0;
      const h = fakeGuard();
      const error = await withStartupLinesHidden('pkg', async () => {
        appendFileSync(h.file!, 'I0000 00:00:1.0   1 x.cc:1] why it failed\n');
        throw new Error('load failed');
      }, h).catch((e: unknown) => e);
      expect((error as Error).message).toBe('load failed');
      expect(h.calls).toEqual(['redirect', 'restore 42']);
      expect(written.join('')).toBe('I0000 00:00:1.0   1 x.cc:1] why it failed\n');

      const r = fakeGuard(true);
      expect(await withStartupLinesHidden('pkg', async () => 'loaded', r)).toBe('loaded');
      expect(r.calls).toEqual(['redirect']);
    } finally {
      spy.mockRestore();
    }
  });
});
