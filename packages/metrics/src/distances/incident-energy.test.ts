import { describe, expect, it } from 'vitest';
import { DS1_ENERGIES } from '../dataset.js';
import { formatEnergy, incidentEnergyBins } from './incident-energy.js';

describe('incident-energy bins of the per-energy panels', () => {
  it('DS1: one bin per discrete energy', () => {
    const e = Float64Array.from({ length: 300 }, (_, i) => DS1_ENERGIES[i % 15]);
    const bins = incidentEnergyBins(e);
    expect(bins.map((b) => b.low)).toEqual(DS1_ENERGIES);
    expect(bins[0].label).toBe('256 MeV');
    expect(bins[14].label).toBe('4.19 TeV');
  });
  it('DS2/DS3 (log-uniform 1 GeV–1 TeV): decade bins', () => {
    const e = Float64Array.from({ length: 500 }, (_, i) => 1e3 * 10 ** ((3 * i) / 499));
    expect(incidentEnergyBins(e).map((b) => [b.low, b.high, b.label])).toEqual([
      [1e3, 1e4, '1–10 GeV'],
      [1e4, 1e5, '10–100 GeV'],
      [1e5, 1e6, '100–1000 GeV'],
    ]);
  });
  it('less than three decades: four log-spaced bins over the range', () => {
    const e = Float64Array.from({ length: 100 }, (_, i) => 1e4 * 10 ** (i / 99));
    const bins = incidentEnergyBins(e);
    expect(bins).toHaveLength(4);
    expect(bins[0].low).toBe(1e4);
    expect(bins[3].high).toBe(1e5);
    expect(bins[1].low).toBeCloseTo(1e4 * 10 ** 0.25, 6);
  });
  it('formats energies with their natural unit', () => {
    expect([formatEnergy(512), formatEnergy(65536), formatEnergy(4194304)]).toEqual(['512 MeV', '65.5 GeV', '4.19 TeV']);
  });
});
