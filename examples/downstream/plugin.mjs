// Trains the example's own `mean-shower` plugin through calozoo's registry and generates with it
// through the same `Generator` interface as the shipped models.
//   node plugin.mjs reference.h5
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ATTR_GEOMETRY, createModel, getGeometry, getModel, loadModel, openShowerFile, writeShowerFile } from '@calozoo/core';
import './mean-shower-plugin.mjs';

const data = process.argv[2] ?? 'reference.h5';
const file = await openShowerFile(data);
const geometry = getGeometry(String(file.attributes[ATTR_GEOMETRY]));
const plugin = getModel('mean-shower');
const model = await createModel('mean-shower', plugin.defaultConfig(geometry), geometry);
const report = await model.fit(file, { seed: 1 });
file.close();
const dir = path.join(mkdtempSync(path.join(tmpdir(), 'mean-shower-')), 'model');
await model.save(dir);

const loaded = await loadModel(dir); // dispatches on config.json's plugin, checks the weights' digest
const energy = Float32Array.from({ length: 1000 }, (_, i) => 2 ** (8 + (i % 15)));
const showers = await loaded.generate({ energy }, { seed: 1 });
await writeShowerFile('mean-shower.h5', showers, { geometry, generator: 'mean-shower (example plugin)', seed: 1 });
console.log(`mean-shower: trained on ${report.trainSize} showers (validation MSE of E_dep/E_inc ${report.history[0].validationLoss.toExponential(2)}), ${showers.n} showers → mean-shower.h5 (${loaded.card.plugin} ${loaded.card.pluginVersion})`);
