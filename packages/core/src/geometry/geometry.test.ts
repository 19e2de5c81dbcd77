import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import {
  cellCentres,
  cylindricalFlatIndex,
  cylindricalIndex,
  getGeometry,
  gridFlatIndex,
  gridIndex,
  gridShape,
  isRegularGrid,
  layerSlices,
  parseBinningXml,
  readBinningXml,
  type CylindricalGeometry,
} from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BINNING = path.resolve(here, '../../../../../shared/data/calochallenge-binning');
const hasBinning = existsSync(BINNING);

const CASES = [
  ['calochallenge-1-photons', 'binning_dataset_1_photons.xml', 'photon', 368],
  ['calochallenge-1-pions', 'binning_dataset_1_pions.xml', 'pion', 533],
  ['calochallenge-2', 'binning_dataset_2.xml', 'electron', 6480],
  ['calochallenge-3', 'binning_dataset_3.xml', 'electron', 40500],
] as const;

describe('built-in CaloChallenge geometries', () => {
  it.each(CASES)('%s has the official voxel count', (id, _file, _p, voxels) => {
    expect(getGeometry(id).voxels).toBe(voxels);
  });

  it.skipIf(!hasBinning).each(CASES)('%s equals the official binning XML %s layer by layer', (id, file, particle) => {
    const fromXml = readBinningXml(path.join(BINNING, file), particle, { id });
    expect(getGeometry(id)).toEqual(fromXml);
  });

  it('DS1 photon layer table matches field-reference §1.3 (offsets and voxels)', () => {
    const g = getGeometry('ds1-photons') as CylindricalGeometry;
    expect(g.layers.map((l) => [l.id, l.nR, l.nAlpha, l.voxels, l.offset])).toEqual([
      [0, 8, 1, 8, 0],
      [1, 16, 10, 160, 8],
      [2, 19, 10, 190, 168],
      [3, 5, 1, 5, 358],
      [12, 5, 1, 5, 363],
    ]);
    expect(layerSlices(g).map((s) => [s.id, s.start, s.end])).toEqual([
      [0, 0, 8],
      [1, 8, 168],
      [2, 168, 358],
      [3, 358, 363],
      [12, 363, 368],
    ]);
  });

  it('orders voxels with the radial index fastest, then alpha, then layer', () => {
    const g = getGeometry('calochallenge-2') as CylindricalGeometry;
    // flat = offset(layer) + alpha*nR + r ; DS2 reshapes to (45, 16, 9)
    expect(cylindricalFlatIndex(g, 3, 4, 5)).toBe(3 * 144 + 5 * 9 + 4);
    expect(cylindricalIndex(g, 3 * 144 + 5 * 9 + 4)).toEqual({ layerIndex: 3, layerId: 3, r: 4, alpha: 5 });
    for (const flat of [0, 1, 8, 9, 143, 144, 6479]) {
      const ix = cylindricalIndex(g, flat);
      expect(cylindricalFlatIndex(g, ix.layerId, ix.r, ix.alpha)).toBe(flat);
    }
    expect(gridShape(g)).toEqual([45, 16, 9]);
    expect(gridShape(getGeometry('calochallenge-3'))).toEqual([45, 50, 18]);
    expect(gridShape(getGeometry('ds1-photons'))).toBeUndefined();
  });

  it('cell centres follow the official convention (alpha starts at -pi, x = r cos, y = r sin)', () => {
    const g = getGeometry('ds1-photons') as CylindricalGeometry;
    const c = cellCentres(g);
    // field-reference §1.2 check: layer 1, first voxel -> r_c = 1, alpha_c = -0.9 pi
    const i = g.layers[1].offset;
    expect(c.r[i]).toBe(1);
    expect(c.alpha[i]).toBeCloseTo(-0.9 * Math.PI, 12);
    expect(c.x[i]).toBeCloseTo(-0.951057, 5);
    expect(c.y[i]).toBeCloseTo(-0.309017, 5);
    // second radial bin of the same alpha: r_c = 3
    expect(c.r[i + 1]).toBe(3);
    expect(c.alpha[i + 1]).toBe(c.alpha[i]);
    // next alpha bin starts after nR = 16 voxels
    expect(c.alpha[i + 16]).toBeCloseTo(-0.7 * Math.PI, 12);
    // layer 0 has one alpha bin: alpha_c = 0, so x = r and y = 0
    expect(c.alpha[0]).toBeCloseTo(0, 12);
    expect(c.x[0]).toBeCloseTo(2.5, 12);
    expect(Array.from(c.layerIndex.slice(360, 368))).toEqual([3, 3, 3, 4, 4, 4, 4, 4]);
  });
});

describe('binning XML reader', () => {
  it('picks the <Bin> by name and reports what is there', () => {
    const xml = `<Bins><Bin pid="22" name="photon"><Layer id="1" r_edges="0,1,2" n_bin_alpha="3"/><Layer id="0" r_edges="0" n_bin_alpha="1"/></Bin></Bins>`;
    const g = parseBinningXml(xml, 'photon', { id: 'toy' });
    expect(g.voxels).toBe(6);
    expect(g.layers).toHaveLength(1);
    expect(() => parseBinningXml(xml, 'pion', { source: 'toy.xml' })).toThrow(/toy\.xml: no <Bin name="pion">; the file has "photon"/);
    expect(() => parseBinningXml('<Foo/>', 'photon')).toThrow(/no <Bins><Bin>/);
    expect(() => parseBinningXml(`<Bins><Bin name="photon"><Layer id="0" r_edges="0,2,1" n_bin_alpha="1"/></Bin></Bins>`, 'photon')).toThrow(
      /do not increase/,
    );
  });
});

describe('grid geometries', () => {
  it('ILD grids have the right shapes and index order (z, x, y), y fastest', () => {
    expect(getGeometry('ild-ecal').voxels).toBe(27000);
    expect(getGeometry('ild-hcal').voxels).toBe(48 * 25 * 25);
    expect(getGeometry('ild-ecal-angular').voxels).toBe(30 * 30 * 40);
    const g = getGeometry('grid-4x5x6');
    expect(isRegularGrid(g)).toBe(true);
    if (!isRegularGrid(g)) return;
    expect(gridFlatIndex(g, 1, 2, 3)).toBe((1 * 5 + 2) * 6 + 3);
    expect(gridIndex(g, (1 * 5 + 2) * 6 + 3)).toEqual({ z: 1, x: 2, y: 3 });
    expect(layerSlices(g)[2]).toEqual({ id: 2, start: 60, end: 90 });
    const c = cellCentres(g);
    expect(c.x[(1 * 5 + 2) * 6 + 3]).toBe(2);
    expect(c.y[(1 * 5 + 2) * 6 + 3]).toBe(3);
    expect(c.r[(0 * 5 + 2) * 6 + 0]).toBeCloseTo(2.5, 12);
  });

  it('unknown ids give a helpful error', () => {
    expect(() => getGeometry('ds4')).toThrow(/unknown geometry "ds4".*calochallenge-1-photons/);
    expect(() => gridIndex(getGeometry('ild-ecal') as never, 27000)).toThrow(/outside/);
  });
});
