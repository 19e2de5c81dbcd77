#!/usr/bin/env node
/**
 * Regenerates the README's tables of models (`npm run models:table`): simulates a dataset-1-photon
 * reference sample (20 000 showers, seed 2, independent of every training sample), runs
 * `calozoo compare --pretrained` over every shipped model, and writes its table between the
 * `<!-- models-table:start -->` and `<!-- models-table:end -->` markers of README.md, with the
 * date, machine and command; then the same on the ILD 30³ photon grid (10 000 showers, markers
 * `models-table-ild`; `--ild-n 0` skips it, `--n 0` the dataset-1 one). Needs the packages built (`npm run build`).
 *   node tools/models-table.mjs [--n 20000] [--ild-n 10000] [--check] [--work DIR]
 *   (--check: print, do not write; --work: keep the compare folders, reports and generated files in DIR)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const { values: a } = parseArgs({ options: { n: { type: 'string', default: '20000' }, 'ild-n': { type: 'string', default: '10000' }, check: { type: 'boolean', default: false }, work: { type: 'string' } } });
const n = Number(a.n);
const ildN = Number(a['ild-n']);
const check = a.check;
const bin = path.join(root, 'packages', 'cli', 'dist', 'bin.js');
// --work DIR keeps the compare directories (reports, generated files) there instead of a temporary folder.
const keep = a.work ? path.resolve(a.work) : null;
if (keep) mkdirSync(keep, { recursive: true });
const work = keep ?? mkdtempSync(path.join(tmpdir(), 'calozoo-models-table-'));
const calozoo = (cliArgs) => execFileSync(process.execPath, [bin, ...cliArgs], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 << 20 });
/** The compare table of every shipped `geometry` model against `count` simulated showers (seed 2), as the README block between `marker` comments. */
function block(geometry, count, marker, what) {
  const reference = `reference-${geometry}.h5`;
  calozoo(['simulate', '--geometry', geometry, '--n', String(count), '--seed', '2', '--out', reference]);
  // Every plugin that ships a model for the geometry (`calozoo models` lists them as plugin/name).
  const list = JSON.parse(calozoo(['--json', 'models'])).models.filter((m) => m.pretrained.includes(`${m.name}/${geometry}`)).map((m) => m.name);
  if (list.length === 0) throw new Error(`no installed plugin ships a ${geometry} model`);
  const command = `calozoo compare --reference ${reference} --models ${list.join(',')} --pretrained --out compare-${geometry}`;
  const json = JSON.parse(calozoo(['--json', ...command.split(' ').slice(1)]));
  const names = json.models.map((m) => m.name);
  const digits = (metric) => (metric === 'parameters' || metric === 'training s' ? 0 : 3);
  const fmt = (v, d) => (v === null || v === undefined ? 'n/a' : d === 0 ? String(Math.round(v)) : Number(v).toPrecision(d));
  const lines = [
    `| ${['metric', ...names].join(' | ')} |`,
    `|${['---', ...names.map(() => '---:')].join('|')}|`,
    ...json.table.map((r) => `| ${[r.metric, ...names.map((nm) => fmt(r[nm], digits(r.metric)))].join(' | ')} |`),
  ];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `<!-- ${marker}:start -->`,
    `Shipped ${what} models against ${count} simulated showers (seed 2, independent of their training data), ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpu}; regenerate with \`npm run models:table\` (runs \`${command}\`). Separation powers, FPD and KPD: lower is better; ms/shower: ONNX Runtime.`,
    '',
    ...lines,
    `<!-- ${marker}:end -->`,
  ].join('\n');
}

/** `text` with the block between `marker` comments replaced by `replacement`. */
function replaceBlock(text, marker, replacement) {
  const a = text.indexOf(`<!-- ${marker}:start -->`);
  const b = text.indexOf(`<!-- ${marker}:end -->`);
  if (a < 0 || b < a) throw new Error(`README.md has no <!-- ${marker}:start --> … <!-- ${marker}:end --> block`);
  return text.slice(0, a) + replacement + text.slice(b + `<!-- ${marker}:end -->`.length);
}

try {
  const blocks = n > 0 ? [['models-table', block('ds1-photons', n, 'models-table', 'dataset-1-photon')]] : [];
  if (ildN > 0) blocks.push(['models-table-ild', block('ild-ecal', ildN, 'models-table-ild', 'ILD 30×30×30 photon')]);
  for (const [, b] of blocks) process.stdout.write(`${b}\n`);
  if (!check) {
    const readme = path.join(root, 'README.md');
    let text = readFileSync(readme, 'utf8');
    for (const [marker, b] of blocks) text = replaceBlock(text, marker, b);
    writeFileSync(readme, text);
    process.stdout.write('README.md updated\n');
  }
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}
