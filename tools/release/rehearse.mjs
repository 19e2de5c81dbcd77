#!/usr/bin/env node
/**
 * Release rehearsal against a real registry (`npm run release:rehearse`).
 *
 *  1. Installs Verdaccio 5.33 from the machine's configured npm registry into a temporary
 *     directory and starts it on a free loopback port, with a temporary storage and that registry
 *     as its uplink for third-party packages (`@calozoo/*` is never proxied: only what this
 *     rehearsal publishes is served under that scope).
 *  2. Copies the workspace (package.json files, built `dist/`, shipped models, `.changeset/`)
 *     into a throwaway directory, runs `changeset version` there (versions, internal ranges and
 *     CHANGELOG.md files, as a release would write them) and `npm publish`es every public package
 *     to Verdaccio.
 *  3. Copies `examples/downstream` (a project outside the workspace, no links) and drives it the
 *     way a user would, installing from the registry step by step:
 *       a. `@calozoo/core` + `@calozoo/caloman`: generate 1 000 showers with the shipped model;
 *       b. adds `@calozoo/wgan`: generate again, changing only which model is loaded;
 *       c. adds `@calozoo/metrics` + `@calozoo/simulator`: compare both against a simulated
 *          reference in one table;
 *       d. adds `@calozoo/cli`: the project's own plugin through the registry API and through
 *          `calozoo --plugin`.
 *     After every step: nothing is installed outside the closure of the project's dependencies
 *     (so no devDependency of any package), and every required peer is present.
 *  4. Prints each package's tarball size, unpacked size, installed size and the installed size of
 *     its dependency closure; writes them with the outputs to `--json <file>` when asked.
 *
 * Verdaccio is stopped and the temporary directory removed whatever happens (unless --keep).
 * Needs the packages built (`npm run build`). Usage:
 *   node tools/release/rehearse.mjs [--json rehearsal.json] [--keep]
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const VERDACCIO = '5.33.0';
const root = path.resolve(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const jsonOut = args.includes('--json') ? path.resolve(args[args.indexOf('--json') + 1]) : undefined;
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const log = (msg) => process.stdout.write(`[rehearse ${since()}] ${msg}\n`);

const work = mkdtempSync(path.join(tmpdir(), 'calozoo-release-'));
let server;
let cleaned = false;
/** Stops Verdaccio and removes the temporary directory (idempotent). */
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (server && server.exitCode === null) server.kill('SIGTERM');
  if (keep) process.stdout.write(`[rehearse] kept ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

/** Runs a command, returning stdout; on failure throws with the command, its output and exit code. */
function run(cmd, cmdArgs, options = {}) {
  try {
    return execFileSync(cmd, cmdArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000, maxBuffer: 64 << 20, ...options });
  } catch (err) {
    throw new Error(`${cmd} ${cmdArgs.join(' ')} (in ${options.cwd ?? process.cwd()}) failed with ${err.status ?? err.signal}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** A free TCP port on the loopback interface. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Bytes of every file under `dir` (symbolic links not followed), without its own `node_modules` when `own`. */
function du(dir, own = false) {
  let total = 0;
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return 0;
  if (!st.isDirectory()) return st.size;
  for (const e of readdirSync(dir)) if (!(own && e === 'node_modules')) total += du(path.join(dir, e));
  return total;
}

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** The installed directory of `name` as Node resolves it from `fromDir` (walking up to `top`), or undefined. */
function resolvePackage(name, fromDir, top) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === top || dir === path.dirname(dir)) return undefined;
  }
}

/**
 * The dependency closure of the packages at `dirs`: every installed package reached through
 * `dependencies`, `optionalDependencies` and `peerDependencies` (never `devDependencies`).
 * Throws when a required dependency or peer is missing.
 */
function closure(dirs, top) {
  const seen = new Set();
  const stack = [...dirs];
  while (stack.length) {
    const dir = stack.pop();
    if (seen.has(dir)) continue;
    seen.add(dir);
    const pkg = readJson(path.join(dir, 'package.json'));
    const optionalPeers = new Set(Object.entries(pkg.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([n]) => n));
    const wanted = [
      ...Object.keys(pkg.dependencies ?? {}).map((n) => [n, true]),
      ...Object.keys(pkg.optionalDependencies ?? {}).map((n) => [n, false]),
      ...Object.keys(pkg.peerDependencies ?? {}).map((n) => [n, !optionalPeers.has(n)]),
    ];
    for (const [name, required] of wanted) {
      const found = resolvePackage(name, dir, top);
      if (found) stack.push(found);
      else if (required && !(pkg.optionalDependencies ?? {})[name]) throw new Error(`${pkg.name}: its ${name} is not installed`);
    }
  }
  return seen;
}

/** Every package directory under `nodeModules` (scoped and nested ones included). */
function installedPackages(nodeModules) {
  const out = [];
  if (!existsSync(nodeModules)) return out;
  for (const e of readdirSync(nodeModules)) {
    if (e.startsWith('.')) continue;
    const p = path.join(nodeModules, e);
    if (e.startsWith('@')) {
      for (const s of readdirSync(p)) out.push(...packageAndNested(path.join(p, s)));
    } else out.push(...packageAndNested(p));
  }
  return out;
}
function packageAndNested(dir) {
  if (!existsSync(path.join(dir, 'package.json'))) return [];
  return [dir, ...installedPackages(path.join(dir, 'node_modules'))];
}

/**
 * Checks the downstream install: nothing outside the closure of the project's direct dependencies
 * (so no devDependency of anyone), all required peers present. Returns the closure and, for
 * each installed name that is also some package's devDependency, who needs it at run time.
 */
function checkInstall(project, devNames) {
  const direct = Object.keys(readJson(path.join(project, 'package.json')).dependencies ?? {});
  const reach = closure(direct.map((n) => resolvePackage(n, project, project) ?? (() => { throw new Error(`${n} is not installed`); })()), project);
  const extraneous = installedPackages(path.join(project, 'node_modules')).filter((d) => !reach.has(d));
  if (extraneous.length) {
    throw new Error(`installed but needed by nothing the project depends on:\n  ${extraneous.map((d) => path.relative(project, d)).join('\n  ')}`);
  }
  // A name that is somebody's devDependency may still be installed as another package's
  // dependency or peer (e.g. @types/node through protobufjs): say which, and fail if none.
  const manifests = [...reach].map((d) => readJson(path.join(d, 'package.json')));
  const why = new Map();
  for (const m of manifests) {
    if (!devNames.has(m.name) || direct.includes(m.name)) continue;
    const by = manifests.filter((o) => [o.dependencies, o.optionalDependencies, o.peerDependencies].some((deps) => deps && m.name in deps)).map((o) => o.name);
    if (by.length === 0) throw new Error(`${m.name} is installed only as a devDependency`);
    why.set(m.name, by);
  }
  return { reach, why };
}

async function main() {
  const upstream = run('npm', ['config', 'get', 'registry'], { cwd: root }).trim();
  log(`uplink registry: ${upstream}; work directory ${work}`);
  for (const d of readdirSync(path.join(root, 'packages'))) {
    const pkg = readJson(path.join(root, 'packages', d, 'package.json'));
    if (!pkg.private && !existsSync(path.join(root, 'packages', d, 'dist'))) throw new Error(`packages/${d}/dist is missing: run \`npm run build\` first`);
  }

  // 1. Verdaccio from the registry, on a free loopback port.
  const vdir = path.join(work, 'verdaccio');
  mkdirSync(vdir, { recursive: true });
  // A dependency of Verdaccio 5 asks for node-fetch's `cjs` dist-tag, which not every registry serves.
  writeFileSync(path.join(vdir, 'package.json'), JSON.stringify({ private: true, dependencies: { verdaccio: VERDACCIO }, overrides: { 'node-fetch': '2.7.0' } }, null, 2));
  log(`installing verdaccio ${VERDACCIO}`);
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--registry', upstream, '--loglevel', 'error'], { cwd: vdir });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = path.join(vdir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${path.join(work, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${path.join(vdir, 'htpasswd')}`,
      '    max_users: 10',
      'uplinks:',
      '  upstream:',
      `    url: ${upstream}`,
      '    timeout: 120s',
      'packages:',
      "  '@calozoo/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    proxy: upstream',
      'max_body_size: 500mb',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const vlog = path.join(work, 'verdaccio.log');
  const fd = openSync(vlog, 'a');
  server = spawn(process.execPath, [path.join(vdir, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', fd, fd] });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`verdaccio exited with ${server.exitCode}:\n${readFileSync(vlog, 'utf8')}`);
    const ok = await fetch(`${url}-/ping`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${url} within 60 s:\n${readFileSync(vlog, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  log(`verdaccio ${VERDACCIO} listening on ${url}`);
  const user = await fetch(`${url}-/user/org.couchdb.user:rehearsal`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'rehearsal', password: `pw-${process.pid}-${Date.now()}`, type: 'user', roles: [], date: new Date().toISOString() }),
  });
  const { token } = await user.json();
  if (!user.ok || !token) throw new Error(`verdaccio refused to create the publishing user (HTTP ${user.status})`);
  const npmrc = path.join(work, 'npmrc');
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  const npmEnv = { ...process.env, npm_config_registry: url, npm_config_userconfig: npmrc, npm_config_cache: path.join(work, 'npm-cache'), npm_config_update_notifier: 'false' };

  // 2. Version and publish from a throwaway copy.
  const copy = path.join(work, 'repo');
  const skip = new Set(['node_modules', '.vitest-cache', 'coverage']);
  const filter = (src) => !skip.has(path.basename(src)) && !/\.tmp-\d+-/.test(src) && !src.endsWith('.tsbuildinfo');
  mkdirSync(copy);
  for (const f of ['package.json', 'LICENSE', '.changeset']) cpSync(path.join(root, f), path.join(copy, f), { recursive: true, filter });
  for (const ws of readJson(path.join(root, 'package.json')).workspaces) {
    const base = ws.endsWith('/*') ? ws.slice(0, -2) : path.dirname(ws);
    const names = ws.endsWith('/*') ? readdirSync(path.join(root, base)) : [path.basename(ws)];
    for (const n of names) {
      if (existsSync(path.join(root, base, n, 'package.json'))) cpSync(path.join(root, base, n), path.join(copy, base, n), { recursive: true, filter });
    }
  }
  const changesets = readdirSync(path.join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md').length;
  log(`changeset version (${changesets} changesets)`);
  run(process.execPath, [path.join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], { cwd: copy, env: npmEnv });
  const published = [];
  for (const d of readdirSync(path.join(copy, 'packages')).sort()) {
    const dir = path.join(copy, 'packages', d);
    const pkg = readJson(path.join(dir, 'package.json'));
    if (pkg.private) continue;
    if (!existsSync(path.join(dir, 'CHANGELOG.md'))) throw new Error(`${pkg.name}: changeset version wrote no CHANGELOG.md`);
    const out = run('npm', ['publish', '--json', '--access', 'public', '--ignore-scripts', '--loglevel', 'error'], { cwd: dir, env: npmEnv });
    const parsed = JSON.parse(out.slice(out.indexOf('{')));
    const info = parsed[pkg.name] ?? parsed; // keyed by name when npm sees the workspace around it
    const files = (info.files ?? []).map((f) => f.path);
    const leaked = files.filter((f) => /(^|\/)(test|tests|__tests__|fixtures|src)\/|\.test\.|\.tsbuildinfo$|(^|\/)checkpoints\//.test(f));
    if (leaked.length) throw new Error(`${pkg.name}: the tarball holds files that must not ship: ${leaked.slice(0, 10).join(', ')}`);
    for (const must of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) if (!files.includes(must)) throw new Error(`${pkg.name}: ${must} missing from the tarball`);
    published.push({ name: pkg.name, version: pkg.version, tarball: info.size, unpacked: info.unpackedSize, files: files.length });
    log(`published ${pkg.name}@${pkg.version}: tarball ${mb(info.size)}, unpacked ${mb(info.unpackedSize)}, ${files.length} files`);
  }
  const version = Object.fromEntries(published.map((p) => [p.name, p.version]));
  const devNames = new Set(Object.keys(readJson(path.join(root, 'package.json')).devDependencies ?? {}));
  for (const d of readdirSync(path.join(copy, 'packages'))) for (const n of Object.keys(readJson(path.join(copy, 'packages', d, 'package.json')).devDependencies ?? {})) devNames.add(n);

  // 3. The downstream project, installing from the registry step by step.
  const project = path.join(work, 'downstream');
  cpSync(path.join(root, 'examples', 'downstream'), project, { recursive: true, filter: (s) => !skip.has(path.basename(s)) && !s.endsWith('.h5') });
  const install = (names) => {
    const specs = names.map((n) => `${n}@${version[n]}`);
    const t = Date.now();
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel', 'error', ...specs], { cwd: project, env: npmEnv, timeout: 600_000 });
    log(`npm install ${specs.join(' ')}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const { reach, why } = checkInstall(project, devNames);
    const also = [...why].map(([n, by]) => `${n} (a dependency or peer of ${by.join(', ')})`).join('; ');
    log(`  install checked: ${reach.size} packages, all in the closure of the project's dependencies and peers; no devDependency${also ? `; also a devDependency somewhere but needed at run time: ${also}` : ''}`);
  };
  const node = (script, scriptArgs) => run(process.execPath, [script, ...scriptArgs], { cwd: project, env: npmEnv }).trim();
  const outputs = {};

  install(['@calozoo/core', '@calozoo/caloman']);
  outputs.caloman = node('generate.mjs', ['@calozoo/caloman', 'caloman/ds1-photons', 'caloman.h5']);
  log(outputs.caloman);
  install(['@calozoo/wgan']);
  outputs.wgan = node('generate.mjs', ['@calozoo/wgan', 'wgan-gp/ds1-photons', 'wgan.h5']);
  log(outputs.wgan);
  install(['@calozoo/metrics', '@calozoo/simulator']);
  outputs.compare = node('compare.mjs', ['caloman.h5', 'wgan.h5']);
  process.stdout.write(`${outputs.compare}\n`);
  install(['@calozoo/cli']);
  outputs.plugin = node('plugin.mjs', ['reference.h5']);
  log(outputs.plugin);
  const cli = path.join(project, 'node_modules', '.bin', 'calozoo');
  const calozoo = (cliArgs) => run(cli, ['--plugin', './mean-shower-plugin.mjs', ...cliArgs], { cwd: project, env: npmEnv }).trim();
  outputs.cliModels = calozoo(['models']);
  if (!/mean-shower\s+1\.0\.0/.test(outputs.cliModels)) throw new Error(`calozoo models does not list the project's plugin:\n${outputs.cliModels}`);
  outputs.cliTrain = calozoo(['train', 'mean-shower', '--data', 'reference.h5', '--out', 'mean-shower-cli', '--seed', '1']);
  outputs.cliGenerate = calozoo(['generate', 'mean-shower-cli', '--like', 'reference.h5', '--seed', '3', '--out', 'mean-shower-cli.h5']);
  log(`calozoo --plugin ./mean-shower-plugin.mjs train + generate: ${outputs.cliGenerate.split('\n').pop()}`);
  outputs.compareAll = node('compare.mjs', ['caloman.h5', 'wgan.h5', 'mean-shower.h5', 'mean-shower-cli.h5']);
  process.stdout.write(`${outputs.compareAll}\n`);

  // Every package README starts with its install command and a runnable example: run the
  // example as the published README has it, in the downstream project.
  outputs.readmes = {};
  for (const p of published) {
    const readme = readFileSync(path.join(resolvePackage(p.name, project, project), 'README.md'), 'utf8');
    const head = /^# (\S+)\n\n```sh\n([\s\S]*?)```\n\n(?:```js\n([\s\S]*?)```\n)?/.exec(readme);
    if (!head || head[1] !== p.name) throw new Error(`${p.name}: README does not start with "# ${p.name}", an \`\`\`sh install block and an example`);
    const commands = head[2].split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
    if (!commands[0]?.startsWith(`npm install ${p.name}`)) throw new Error(`${p.name}: the README's first command is not \`npm install ${p.name} …\``);
    const t = Date.now();
    if (head[3]) {
      const file = `readme-${p.name.split('/')[1]}.mjs`;
      writeFileSync(path.join(project, file), head[3]);
      outputs.readmes[p.name] = node(file, []);
    } else {
      const env = { ...npmEnv, PATH: `${path.join(project, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}` };
      if (commands.length < 2) throw new Error(`${p.name}: the README shows no example after the install command`);
      outputs.readmes[p.name] = commands.slice(1).map((c) => run('sh', ['-c', c], { cwd: project, env }).trim()).join('\n');
    }
    log(`README example of ${p.name} ran (${((Date.now() - t) / 1000).toFixed(1)} s): ${outputs.readmes[p.name].split('\n').filter(Boolean).slice(-1)[0]?.slice(0, 120)}`);
  }

  // 4. Sizes.
  const top = project;
  const sizes = published.map((p) => {
    const dir = resolvePackage(p.name, project, top);
    const reach = closure([dir], top);
    // Each package's own files (nested node_modules are packages of the closure themselves).
    const closureBytes = [...reach].reduce((a, d) => a + du(d, true), 0);
    return { ...p, installed: du(dir, true), closure: closureBytes, closurePackages: reach.size };
  });
  process.stdout.write('\npackage                 version  tarball     unpacked    installed   with dependencies (packages)\n');
  for (const s of sizes) {
    process.stdout.write(`${s.name.padEnd(23)} ${s.version.padEnd(8)} ${mb(s.tarball).padStart(10)}  ${mb(s.unpacked).padStart(10)}  ${mb(s.installed).padStart(10)}  ${mb(s.closure).padStart(10)} (${s.closurePackages})\n`);
  }
  process.stdout.write(`whole downstream node_modules: ${mb(du(path.join(project, 'node_modules')))}\n`);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ registry: 'verdaccio ' + VERDACCIO, uplink: upstream, seconds: (Date.now() - t0) / 1000, packages: sizes, outputs }, null, 2));
  log(`release rehearsal passed in ${since()}`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`[rehearse ${since()}] FAILED: ${err.message}\n`);
  if (existsSync(path.join(work, 'verdaccio.log'))) process.stderr.write(`verdaccio log (last lines):\n${readFileSync(path.join(work, 'verdaccio.log'), 'utf8').split('\n').slice(-15).join('\n')}\n`);
  process.exitCode = 1;
} finally {
  cleanup();
}
