import { readFileSync, writeFileSync } from 'node:fs';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../../src/errors.js';
import { ShowerDataset, ShowerFileError, openShowerFile, writeShowerFile, type ShowerFileProblem } from '../../src/io/index.js';
import { rowShowers, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
beforeAll(async () => {
  await h5wasm.ready;
});

type Spec = { name: string; data: Float32Array | Float64Array | Int32Array; shape: number[]; dtype?: string };

/** Writes a file holding exactly the given datasets, with raw h5wasm (independent of the writer). */
function rawFile(name: string, datasets: Spec[]): string {
  const p = tmp.path(name);
  const f = new h5wasm.File(p, 'w');
  for (const d of datasets) f.create_dataset({ name: d.name, data: d.data, shape: d.shape, dtype: d.dtype ?? '<f' });
  f.close();
  return p;
}

/** The ShowerFileError that `fn` throws (fails the test when it throws none). */
function thrown(fn: () => unknown): ShowerFileError {
  try {
    fn();
  } catch (err) {
    return err as ShowerFileError;
  }
  throw new Error('no error');
}

async function failure(p: string, options = {}): Promise<ShowerFileError> {
  const err = await openShowerFile(p, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ShowerFileError);
  expect(err).toBeInstanceOf(DataFormatError);
  return err as ShowerFileError;
}

function expectProblem(e: ShowerFileError, problem: ShowerFileProblem, file: string, ...fragments: RegExp[]): void {
  expect(e.problem).toBe(problem);
  expect(e.code).toBe('DATA_FORMAT');
  expect(e.details.file).toBe(file);
  expect(e.message).toContain(file);
  for (const f of fragments) expect(e.message).toMatch(f);
}

const energies = (n: number): Spec => ({ name: 'incident_energies', data: new Float32Array(n).fill(1000), shape: [n, 1] });

describe('shower file validation', () => {
  it('missing file', async () => {
    const p = tmp.path('nope.h5');
    expectProblem(await failure(p), 'not-found', p, /check the path/i);
  });

  it('non-HDF5 file and empty (0-byte) file are refused before HDF5 opens them', async () => {
    const p = tmp.path('text.h5');
    writeFileSync(p, 'incident_energies,showers\n1,2\n');
    const e = await failure(p);
    expectProblem(e, 'not-hdf5', p, /not an HDF5 file/, /first bytes 696e6369/);
    const z = tmp.path('zero.h5');
    writeFileSync(z, '');
    expectProblem(await failure(z), 'not-hdf5', z, /0 bytes/);
  });

  it('truncated file: superblock EOF beyond the file size', async () => {
    const good = tmp.path('whole.h5');
    await writeShowerFile(good, rowShowers(50, 368), { compression: 0 });
    const bytes = readFileSync(good);
    const p = tmp.path('cut.h5');
    writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const e = await failure(p);
    expectProblem(e, 'truncated', p, new RegExp(`records ${bytes.length} bytes`), /again/);
    expect(e.details.expected).toBe(`${bytes.length} bytes`);
  });

  it('corrupt HDF5 (valid signature, garbage superblock) becomes a ShowerFileError, and h5wasm keeps working', async () => {
    const good = tmp.path('whole2.h5');
    await writeShowerFile(good, rowShowers(5, 368), { compression: 0 });
    const bytes = Buffer.from(readFileSync(good));
    for (let i = 8; i < 200; i++) bytes[i] = 0xab;
    const p = tmp.path('garbled.h5');
    writeFileSync(p, bytes);
    const e = await failure(p);
    expectProblem(e, 'unreadable', p, /HDF5 could not read the file/, /regenerate or download/);
    const f = await openShowerFile(good);
    expect(f.readRange(0, 5).n).toBe(5);
    f.close();
  });

  it('missing dataset lists the datasets present', async () => {
    const p = rawFile('missing.h5', [energies(4), { name: 'layer_0', data: new Float32Array(4), shape: [4, 1] }]);
    const e = await failure(p);
    expectProblem(e, 'missing-dataset', p, /"showers" is missing/, /"incident_energies", "layer_0"/);
    expect(e.details.dataset).toBe('showers');
  });

  it('wrong voxel count names the expected geometry and suggests the matching one', async () => {
    const p = rawFile('pions.h5', [energies(3), { name: 'showers', data: new Float32Array(3 * 533), shape: [3, 533] }]);
    const e = await failure(p, { geometry: { id: 'calochallenge-1-photons', voxels: 368 } });
    expectProblem(e, 'wrong-voxel-count', p, /shape \[3, 533\]/, /"calochallenge-1-photons" expects \[N, 368\]/, /--geometry calochallenge-1-pions/);
    expect(e.details).toMatchObject({ expected: '[N, 368]', found: '[3, 533]', dataset: 'showers' });
    const odd = rawFile('odd.h5', [energies(2), { name: 'showers', data: new Float32Array(2 * 7), shape: [2, 7] }]);
    expectProblem(await failure(odd, { geometry: 6480 }), 'wrong-voxel-count', odd, /No built-in geometry has 7 voxels/);
    for (const [v, id] of [[6480, 'calochallenge-2'], [40500, 'calochallenge-3'], [27000, 'ild-ecal'], [30000, 'ild-hcal']] as const) {
      const q = rawFile(`v${v}.h5`, [energies(1), { name: 'showers', data: new Float32Array(v), shape: [1, v] }]);
      expect((await failure(q, { geometry: 368 })).message).toContain(`--geometry ${id}`);
    }
  });

  it('N mismatch between datasets', async () => {
    const p = rawFile('nmis.h5', [energies(5), { name: 'showers', data: new Float32Array(6 * 10), shape: [6, 10] }]);
    const e = await failure(p);
    expectProblem(e, 'n-mismatch', p, /"incident_energies" has 5 rows/, /"showers" has 6/);
    const q = rawFile('nmis-theta.h5', [energies(6), { name: 'showers', data: new Float32Array(6 * 10), shape: [6, 10] }, { name: 'theta', data: new Float32Array(4), shape: [4] }]);
    expectProblem(await failure(q), 'n-mismatch', q, /"theta" has 4 rows/);
  });

  it('wrong rank of showers and of energies', async () => {
    const p = rawFile('rank3.h5', [energies(2), { name: 'showers', data: new Float32Array(2 * 45 * 16 * 9), shape: [2, 45, 144] }]);
    expectProblem(await failure(p), 'wrong-rank', p, /shape \[2, 45, 144\]/, /expects \[N, voxels\]/, /reshape/);
    const q = rawFile('rank-e.h5', [{ name: 'incident_energies', data: new Float32Array(4), shape: [2, 2] }, { name: 'showers', data: new Float32Array(20), shape: [2, 10] }]);
    expectProblem(await failure(q), 'wrong-rank', q, /"incident_energies" has shape \[2, 2\]/, /\[N, 1\] or \[N\]/);
  });

  it('integer dtype', async () => {
    const p = rawFile('int.h5', [energies(2), { name: 'showers', data: new Int32Array(20), shape: [2, 10], dtype: '<i' }]);
    expectProblem(await failure(p), 'wrong-dtype', p, /int32/, /float32 or float64/);
  });

  it('empty file (N = 0)', async () => {
    const p = rawFile('empty.h5', [energies(0), { name: 'showers', data: new Float32Array(0), shape: [0, 368] }]);
    expectProblem(await failure(p), 'empty', p, /no showers/);
  });

  it('NaN, Inf and negative energies are found chunk by chunk and report the first bad row', async () => {
    const n = 40;
    const s = rowShowers(n, 10);
    s.values[27 * 10 + 3] = Number.NaN;
    s.values[33 * 10 + 1] = Number.POSITIVE_INFINITY;
    const p = tmp.path('nan.h5');
    await writeShowerFile(p, s, { chunkRows: 8 });
    const f = await openShowerFile(p);
    expect(f.readRange(0, 27).n).toBe(27);
    const e = thrown(() => f.readRange(20, 40));
    expectProblem(e, 'non-finite', p, /"showers" row 27/, /NaN at voxel 3/, /validate: false/);
    expect(e.row).toBe(27);
    expect(() => f.readRange(30, 40)).toThrow(/row 33 holds Infinity/);
    f.close();
    const loose = await openShowerFile(p, { validate: false });
    expect(Number.isNaN(loose.readRange(27, 28).values[3])).toBe(true);
    loose.close();

    const t = rowShowers(20, 10);
    t.energy[13] = -5;
    const q = tmp.path('neg.h5');
    await writeShowerFile(q, t, { chunkRows: 4 });
    const ds = await ShowerDataset.open(q);
    const seen: number[] = [];
    const err = await (async () => {
      try {
        for await (const b of ds.batches(4)) seen.push(...b.indices);
      } catch (x) {
        return x as ShowerFileError;
      }
      return null;
    })();
    expect(err?.problem).toBe('negative-energy');
    expect(err?.row).toBe(13);
    expect(err?.message).toMatch(/"incident_energies" row 13 holds -5/);
    ds.close();
  });

  it('negative voxel energies are refused, naming the row, voxel and the --allow-negative way out; allowNegative reads them', async () => {
    const s = rowShowers(12, 10);
    s.values[7 * 10 + 4] = -0.25;
    const p = tmp.path('neg-voxel.h5');
    await writeShowerFile(p, s, { chunkRows: 4 });
    const f = await openShowerFile(p);
    expect(f.readRange(0, 7).n).toBe(7);
    const e = thrown(() => f.readRange(4, 12));
    expectProblem(e, 'negative-voxel', p, /"showers" row 7 holds -0.25 at voxel 4/, /voxel energies ≥ 0 MeV/, /--allow-negative/);
    expect(e.row).toBe(7);
    f.close();
    const loose = await openShowerFile(p, { allowNegative: true });
    expect(loose.readRange(7, 8).values[4]).toBe(-0.25);
    loose.close();
  });
});
