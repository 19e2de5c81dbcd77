/**
 * The geometries calozoo defines itself, so that no binning file is needed at run time:
 * CaloChallenge datasets 1 (photons, pions), 2 and 3 (field-reference.md §1.3–1.4, identical to
 * the official binning XML) and the ILD grids (§5).
 */
import { cylindricalGeometry, type LayerSpec } from './cylindrical.js';
import { gridGeometry } from './grid.js';
import type { Geometry } from './types.js';

/** Ids of the built-in geometries (a closed set). */
export const BUILTIN_GEOMETRY_IDS = [
  'calochallenge-1-photons',
  'calochallenge-1-pions',
  'calochallenge-2',
  'calochallenge-3',
  'ild-ecal',
  'ild-hcal',
  'ild-ecal-angular',
] as const;

/** Id of a built-in geometry. */
export type BuiltinGeometryId = (typeof BUILTIN_GEOMETRY_IDS)[number];

/** Short names accepted wherever a geometry id is (CaloChallenge `--dataset` ids included). */
export const GEOMETRY_ALIASES: Readonly<Record<string, BuiltinGeometryId>> = {
  'ds1-photons': 'calochallenge-1-photons',
  '1-photons': 'calochallenge-1-photons',
  'ds1-pions': 'calochallenge-1-pions',
  '1-pions': 'calochallenge-1-pions',
  ds2: 'calochallenge-2',
  '2': 'calochallenge-2',
  ds3: 'calochallenge-3',
  '3': 'calochallenge-3',
};

const e = (s: string): number[] => s.split(',').map(Number);
const empty = (ids: number[]): LayerSpec[] => ids.map((id) => ({ id, rEdges: [0], nAlpha: 1 }));
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

const DS1_PHOTON_LAYERS: LayerSpec[] = [
  { id: 0, rEdges: e('0,5,10,30,50,100,200,400,600'), nAlpha: 1 },
  { id: 1, rEdges: e('0,2,4,6,8,10,12,15,20,30,40,50,70,90,120,150,200'), nAlpha: 10 },
  { id: 2, rEdges: e('0,2,5,10,15,20,25,30,40,50,60,80,100,130,160,200,250,300,350,400'), nAlpha: 10 },
  { id: 3, rEdges: e('0,50,100,200,400,600'), nAlpha: 1 },
  ...empty(range(4, 11)),
  { id: 12, rEdges: e('0,100,200,400,1000,2000'), nAlpha: 1 },
  ...empty(range(13, 23)),
];

const DS1_PION_LAYERS: LayerSpec[] = [
  { id: 0, rEdges: e('0,5,10,30,50,100,200,400,600'), nAlpha: 1 },
  { id: 1, rEdges: e('0,1,4,7,10,15,30,50,90,150,200'), nAlpha: 10 },
  { id: 2, rEdges: e('0,5,10,20,30,50,80,130,200,300,400'), nAlpha: 10 },
  { id: 3, rEdges: e('0,50,100,200,400,600'), nAlpha: 1 },
  ...empty(range(4, 11)),
  { id: 12, rEdges: e('0,10,20,30,50,80,100,130,160,200,250,300,350,400,1000,2000'), nAlpha: 10 },
  { id: 13, rEdges: e('0,10,20,30,50,80,100,130,160,200,250,300,350,400,600,1000,2000'), nAlpha: 10 },
  { id: 14, rEdges: e('0,50,100,150,200,250,300,400,600,1000,2000'), nAlpha: 1 },
  ...empty(range(15, 23)),
];

const DS2_EDGES = e('0,4.65,9.3,13.95,18.6,23.25,27.9,32.55,37.2,41.85');
const DS3_EDGES = e('0,2.325,4.65,6.975,9.3,11.625,13.95,16.275,18.6,20.925,23.25,25.575,27.9,30.225,32.55,34.875,37.2,39.525,41.85');

function build(id: BuiltinGeometryId): Geometry {
  switch (id) {
    case 'calochallenge-1-photons':
      return cylindricalGeometry(id, 'photon', DS1_PHOTON_LAYERS);
    case 'calochallenge-1-pions':
      return cylindricalGeometry(id, 'pion', DS1_PION_LAYERS);
    case 'calochallenge-2':
      return cylindricalGeometry(id, 'electron', range(0, 44).map((l) => ({ id: l, rEdges: DS2_EDGES, nAlpha: 16 })));
    case 'calochallenge-3':
      return cylindricalGeometry(id, 'electron', range(0, 44).map((l) => ({ id: l, rEdges: DS3_EDGES, nAlpha: 50 })));
    case 'ild-ecal':
      // 30 Si-W layers of 30×30 cells of 5.09 mm (field-reference.md §5.1); z pitch nominal
      return gridGeometry(id, [30, 30, 30], [5.25, 5.09, 5.09], 'photon');
    case 'ild-hcal':
      // 48 scintillator layers, 25×25 core of 30 mm tiles (§5.2); z pitch nominal
      return gridGeometry(id, [48, 25, 25], [26.5, 30, 30], 'pion');
    case 'ild-ecal-angular':
      // 30 layers × 30 × 40 cells: the y axis is longer to hold showers at a polar angle
      return gridGeometry(id, [30, 30, 40], [5.25, 5.09, 5.09], 'photon');
  }
}

const cache = new Map<string, Geometry>();

/** Returns a built-in geometry by id (memoised; the objects are shared and read-only). */
export function builtinGeometry(id: BuiltinGeometryId): Geometry {
  let g = cache.get(id);
  if (!g) {
    g = build(id);
    cache.set(id, g);
  }
  return g;
}
