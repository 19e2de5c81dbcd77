/**
 * Reader for the official CaloChallenge binning XML (`<Bins><Bin name=…><Layer id r_edges
 * n_bin_alpha/>…`), field-reference.md §1.2. Only the `<Bin>` whose `name` matches is used;
 * `pid`, `etaMin` and `etaMax` are ignored, as in the official XMLHandler.
 */
import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { GeometryError } from '../errors.js';
import { cylindricalGeometry, type LayerSpec } from './cylindrical.js';
import type { CylindricalGeometry } from './types.js';

function asArray<T>(x: T | T[] | undefined): T[] {
  if (x === undefined) return [];
  return Array.isArray(x) ? x : [x];
}

/** Parses binning XML text for the given particle (photon, pion, electron). */
export function parseBinningXml(xml: string, particle: string, options: { id?: string; source?: string } = {}): CylindricalGeometry {
  const source = options.source ?? '<binning xml>';
  let doc: any;
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  } catch (err) {
    throw new GeometryError(`${source}: not valid XML (${(err as Error).message}).`, { cause: err });
  }
  const bins = asArray<any>(doc?.Bins?.Bin);
  if (bins.length === 0) throw new GeometryError(`${source}: no <Bins><Bin> element found; is this a CaloChallenge binning file?`);
  const bin = bins.find((b) => b.name === particle);
  if (!bin) {
    throw new GeometryError(`${source}: no <Bin name="${particle}">; the file has ${bins.map((b) => `"${b.name}"`).join(', ')}.`);
  }
  const specs: LayerSpec[] = asArray<any>(bin.Layer).map((l) => {
    const id = Number(l.id);
    const rEdges = String(l.r_edges)
      .split(',')
      .map((s) => Number(s.trim()));
    const nAlpha = Number(l.n_bin_alpha ?? 1);
    if (!Number.isInteger(id) || rEdges.some((e) => !Number.isFinite(e))) {
      throw new GeometryError(`${source}: layer with id="${l.id}" r_edges="${l.r_edges}" cannot be read as numbers.`);
    }
    return { id, rEdges, nAlpha };
  });
  return cylindricalGeometry(options.id ?? `xml-${particle}`, particle, specs, source);
}

/** Reads a binning XML file for the given particle. */
export function readBinningXml(file: string, particle: string, options: { id?: string } = {}): CylindricalGeometry {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GeometryError(`${file}: cannot read the binning file (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, { cause: err });
  }
  return parseBinningXml(text, particle, { id: options.id, source: file });
}
