import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decodeSafetensors, encodeSafetensors, openSafetensors, readSafetensors, writeSafetensors } from './safetensors.js';
import { readJson, writeJsonAtomic } from './atomic.js';

describe('safetensors', () => {
  it('round-trips tensors and metadata through a file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'st-'));
    const file = path.join(dir, 'w.safetensors');
    const a = { dtype: 'F32' as const, shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) };
    const b = { dtype: 'F64' as const, shape: [1], data: new Float64Array([Math.PI]) };
    const c = { dtype: 'I32' as const, shape: [3], data: new Int32Array([-1, 0, 7]) };
    await writeSafetensors(file, { a, b, c }, { note: 'x' });
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
    const back = await readSafetensors(file);
    expect(back.metadata).toEqual({ note: 'x' });
    expect(Array.from(back.tensors.a.data)).toEqual([1, 2, 3, 4, 5, 6.5]);
    expect(back.tensors.a.shape).toEqual([2, 3]);
    expect(back.tensors.b.data[0]).toBe(Math.PI);
    expect(Array.from(back.tensors.c.data)).toEqual([-1, 0, 7]);
  });

  it('openSafetensors reads each tensor only when asked, the same values as readSafetensors; a damaged file names itself', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'st-'));
    const file = path.join(dir, 'w.safetensors');
    const a = { dtype: 'F32' as const, shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) };
    const c = { dtype: 'I32' as const, shape: [3], data: new Int32Array([-1, 0, 7]) };
    await writeSafetensors(file, { a, c }, { note: 'y' });
    const lazy = openSafetensors(file);
    expect(lazy.metadata).toEqual({ note: 'y' });
    expect(lazy.tensors.a!.shape).toEqual([2, 3]);
    const eager = await readSafetensors(file);
    expect(Array.from(lazy.tensors.a!.read())).toEqual(Array.from(eager.tensors.a!.data));
    expect(lazy.tensors.c!.read()).toBeInstanceOf(Int32Array);
    expect(Array.from(lazy.tensors.c!.read())).toEqual([-1, 0, 7]);
    // Copying through deferred tensors gives the same bytes.
    await writeSafetensors(path.join(dir, 'copy.safetensors'), lazy.tensors, lazy.metadata);
    expect(readFileSync(path.join(dir, 'copy.safetensors'))).toEqual(readFileSync(file));
    const bytes = readFileSync(file);
    writeFileSync(path.join(dir, 'cut.safetensors'), bytes.subarray(0, bytes.length - 4));
    expect(() => openSafetensors(path.join(dir, 'cut.safetensors'))).toThrow(/cut\.safetensors: tensor "c" runs past the end of the file/);
    expect(() => openSafetensors(path.join(dir, 'none.safetensors'))).toThrow(/none\.safetensors: cannot read weights \(ENOENT\)/);
  });

  it('writes the documented layout: u64 header length, JSON header, little-endian data', () => {
    const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Float32Array([1.5]) } });
    const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + len)).toString());
    expect(header.w).toEqual({ dtype: 'F32', shape: [1], data_offsets: [0, 4] });
    expect(new DataView(bytes.buffer).getFloat32(8 + len, true)).toBe(1.5);
    expect((8 + len) % 8).toBe(0);
  });

  it('rejects truncated files and shape mismatches with clear errors', async () => {
    const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 2), 'x.safetensors')).toThrow(/x\.safetensors.*truncated/);
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array(4) } })).toThrow(/shape \[3\]/);
    const dir = mkdtempSync(path.join(tmpdir(), 'st-'));
    writeFileSync(path.join(dir, 'bad.safetensors'), 'abc');
    await expect(readSafetensors(path.join(dir, 'bad.safetensors'))).rejects.toThrow(/too short/);
    await expect(readSafetensors(path.join(dir, 'missing.safetensors'))).rejects.toThrow(/ENOENT/);
  });

  it('writes JSON atomically and reports malformed JSON', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'st-'));
    await writeJsonAtomic(path.join(dir, 'a', 'c.json'), { x: 1 });
    expect(JSON.parse(readFileSync(path.join(dir, 'a', 'c.json'), 'utf8'))).toEqual({ x: 1 });
    writeFileSync(path.join(dir, 'bad.json'), '{x');
    await expect(readJson(path.join(dir, 'bad.json'))).rejects.toThrow(/bad\.json: not valid JSON/);
  });
});
