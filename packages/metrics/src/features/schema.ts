/**
 * The per-shower feature columns of a geometry (field-reference.md §2.1 and §5.3): global
 * quantities first, then per layer E_layer, Sparsity, EC_r, Width_r and, for layers with more
 * than one angular bin (and every grid layer), the centres and widths in both transverse
 * directions (eta/phi for cylindrical binnings, x/y in cell units for grids).
 */
import { layerSlices, type Geometry } from '@calozoo/core';
import { datasetKind, type DatasetKind } from '../dataset.js';

/** One layer as the feature extractor sees it. */
export interface SchemaLayer {
  /** Layer id (XML id, or z index for grids). */
  readonly id: number;
  /** Position in the layer list. */
  readonly index: number;
  /** First voxel. */
  readonly start: number;
  /** One past the last voxel. */
  readonly end: number;
  /** Whether transverse centres/widths exist (n_alpha > 1, or any grid layer). */
  readonly transverse: boolean;
  /** Depth third 0, 1, 2 (floor(3·index / layers)) for the E1/E2/E3 fractions. */
  readonly third: number;
  /** Column of this layer's first feature (E_layer); the others follow in `LAYER_GROUPS` order. */
  readonly column: number;
}

/** Per-layer feature groups in column order (the last four only for transverse layers). */
export const LAYER_GROUPS = ['E_layer', 'Sparsity', 'EC_r', 'Width_r', 'EC_a', 'EC_b', 'Width_a', 'Width_b'] as const;

/** A per-layer group name. */
export type LayerGroup = (typeof LAYER_GROUPS)[number];

/** Column layout of the features of one geometry. */
export interface FeatureSchema {
  /** Geometry id. */
  readonly geometry: string;
  /** Evaluation family. */
  readonly kind: DatasetKind;
  /** Whether the geometry is a grid. */
  readonly grid: boolean;
  /** Layers with voxels, in flattened order. */
  readonly layers: readonly SchemaLayer[];
  /** Column names in order. */
  readonly names: readonly string[];
  /** Column index by name. */
  readonly index: Readonly<Record<string, number>>;
  /** Names of the two transverse directions: ['eta', 'phi'] or ['x', 'y']. */
  readonly transverse: readonly [string, string];
}

/** Global columns of grid geometries (§5.3; x, y, z in cell units). */
export const GRID_GLOBAL_COLUMNS = ['E_inc', 'E_dep', 'E_dep/E_inc', 'n_hit', 'm1_x', 'm1_y', 'm1_z', 'm2_x', 'm2_y', 'm2_z', 'E1/E_dep', 'E2/E_dep', 'E3/E_dep'] as const;

/**
 * Global columns of cylindrical geometries: the §5.3 quantities with x_eta, x_phi (mm) as the
 * transverse axes, z the layer position, plus the energy-weighted radial mean and variance (mm).
 */
export const CYLINDRICAL_GLOBAL_COLUMNS = [
  'E_inc', 'E_dep', 'E_dep/E_inc', 'n_hit', 'm1_eta', 'm1_phi', 'm1_z', 'm2_eta', 'm2_phi', 'm2_z', 'm1_r', 'm2_r', 'E1/E_dep', 'E2/E_dep', 'E3/E_dep',
] as const;

/** Display name of a per-layer group for a geometry (EC_a → EC_eta or EC_x). */
export function groupName(schema: Pick<FeatureSchema, 'transverse'>, group: LayerGroup): string {
  const [a, b] = schema.transverse;
  return group.replace(/_a$/, `_${a}`).replace(/_b$/, `_${b}`);
}

/** Name of a per-layer column, e.g. `EC_eta[1]` or `E_layer[12]`. */
export function layerColumnName(schema: Pick<FeatureSchema, 'transverse'>, group: LayerGroup, layerId: number): string {
  return `${groupName(schema, group)}[${layerId}]`;
}

/** Builds the column layout of a geometry's features. */
export function featureSchema(g: Geometry): FeatureSchema {
  const grid = g.kind === 'grid';
  const transverse: [string, string] = grid ? ['x', 'y'] : ['eta', 'phi'];
  const globals: readonly string[] = grid ? GRID_GLOBAL_COLUMNS : CYLINDRICAL_GLOBAL_COLUMNS;
  const names: string[] = [...globals];
  const slices = layerSlices(g);
  const layers: SchemaLayer[] = slices.map((s, index) => {
    const tr = grid ? true : g.layers[index].nAlpha > 1;
    const column = names.length;
    const groups = tr ? LAYER_GROUPS : LAYER_GROUPS.slice(0, 4);
    for (const grp of groups) names.push(layerColumnName({ transverse }, grp, s.id));
    return { id: s.id, index, start: s.start, end: s.end, transverse: tr, third: Math.floor((3 * index) / slices.length), column };
  });
  const index: Record<string, number> = {};
  names.forEach((n, i) => (index[n] = i));
  return { geometry: g.id, kind: datasetKind(g), grid, layers, names, index, transverse };
}
