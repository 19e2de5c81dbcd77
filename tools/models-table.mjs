#!/usr/bin/env node
/**
 * Regenerates the README's table of models (`npm run models:table`): simulates a dataset-1-photon
 * reference sample (20 000 showers, seed 2, independent of every training sample), runs
 * `calozoo compare --pretrained` over every shipped model, and writes its table between the
 * `<!-- models-table:start -->` and `<!-- models-table:end -->` markers of README.md, with the
 * date, machine and command. Needs the packages built (`npm run build`).
 *   node tools/models-table.mjs [--n 20000] [--check]   (--check: print, do not write)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const n = args.includes('--n') ? Number(args[args.indexOf('--n') + 1]) : 20_000;
const check = args.includes('--check');
const bin = path.join(root, 'packages', 'cli', 'dist', 'bin.js');
const work = mkdtempSync(path.join(tmpdir(), 'calozoo-models-table-'));
const calozoo = (cliArgs) => execFileSync(process.execPath, [bin, ...cliArgs], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 << 20 });
try {
  calozoo(['simulate', '--geometry', 'ds1-photons', '--n', String(n), '--seed', '2', '--out', 'reference.h5']);
  // Every plugin that ships a dataset-1-photon model (`calozoo models` lists them as plugin/name).
  const list = JSON.parse(calozoo(['--json', 'models'])).models.filter((m) => m.pretrained.includes(`${m.name}/ds1-photons`)).map((m) => m.name);
  if (list.length === 0) throw new Error('no installed plugin ships a ds1-photons model');
  const command = `calozoo compare --reference reference.h5 --models ${list.join(',')} --pretrained --out compare`;
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
  const block = [
    '<!-- models-table:start -->',
    `Shipped dataset-1-photon models against ${n} simulated showers (seed 2, independent of their training data), ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpu}; regenerate with \`npm run models:table\` (runs \`${command}\`). Separation powers, FPD and KPD: lower is better; ms/shower: ONNX Runtime.`,
    '',
    ...lines,
    '<!-- models-table:end -->',
  ].join('\n');
  process.stdout.write(`${block}\n`);
  if (!check) {
    const readme = path.join(root, 'README.md');
    const text = readFileSync(readme, 'utf8');
    const a = text.indexOf('<!-- models-table:start -->');
    const b = text.indexOf('<!-- models-table:end -->');
    if (a < 0 || b < a) throw new Error('README.md has no <!-- models-table:start --> … <!-- models-table:end --> block');
    writeFileSync(readme, text.slice(0, a) + block + text.slice(b + '<!-- models-table:end -->'.length));
    process.stdout.write('README.md updated\n');
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
