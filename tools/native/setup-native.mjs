#!/usr/bin/env node
/**
 * Builds the native TensorFlow backend of TensorFlow.js (the N-API addon of
 * @tensorflow/tfjs-node 4.22.0) offline, against the TensorFlow C library shipped inside the
 * tensorflow-cpu Python wheel, so that calozoo trains on native TensorFlow where npm cannot
 * download libtensorflow. Usage: `npm run setup:native [-- --force] [-- --tensorflow-dir DIR]`.
 *
 * Recipe (see tools/native/README.md):
 *  1. find the C library: an installed tensorflow (--tensorflow-dir, or the one python3 sees),
 *     or the wheel (--wheel FILE, or `pip download tensorflow-cpu==2.21.0 --no-deps`);
 *  2. unpack libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the C headers into
 *     tools/.native/tensorflow-<version>/ (outside node_modules, gitignored);
 *  3. point tfjs-node's deps/ at it (binding.gyp links -ltensorflow: libtensorflow.so is a
 *     symlink to libtensorflow_cc.so.2, whose SONAME the addon then records);
 *  4. build with npm's bundled node-gyp against Node's local headers (N-API 8), with an rpath
 *     to the library directory so no LD_LIBRARY_PATH is needed;
 *  5. load the addon in a fresh process and run a matmul;
 *  6. build the stdio guard (tools/native/stdio-guard) next to it, so that the device layer can keep
 *     TensorFlow's start-up lines off the terminal.
 * tfjs-node's own install script is never run: it would delete deps/ and try to download.
 * Idempotent: exits early when the addon already loads, and restores a cached build when a
 * later `npm install` replaced the package directory.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NATIVE = join(ROOT, 'tools', '.native');
const TFJS_NODE_VERSION = '4.22.0';
const NAPI_VERSION = 8;
const DEFAULT_TF_VERSION = '2.21.0';

class SetupError extends Error {}

function parseArgs(argv) {
  const opts = { force: false, check: false, keepWheel: false, tfVersion: DEFAULT_TF_VERSION };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') opts.force = true;
    else if (a === '--check') opts.check = true;
    else if (a === '--optional') opts.optional = true;
    else if (a === '--keep-wheel') opts.keepWheel = true;
    else if (a === '--tensorflow-dir') opts.tensorflowDir = resolve(argv[++i] ?? '');
    else if (a === '--wheel') opts.wheel = resolve(argv[++i] ?? '');
    else if (a === '--tf-version') opts.tfVersion = argv[++i] ?? DEFAULT_TF_VERSION;
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new SetupError(`unknown option ${a}; see --help`);
  }
  return opts;
}

const log = (msg) => console.log(`setup-native: ${msg}`);

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

/** The installed @tensorflow/tfjs-node package directory, checked for the expected version. */
function tfjsNodeDir() {
  let pkgJson;
  try {
    pkgJson = createRequire(join(ROOT, 'package.json')).resolve('@tensorflow/tfjs-node/package.json');
  } catch {
    throw new SetupError('@tensorflow/tfjs-node is not installed; run `npm install --no-audit --no-fund` first.');
  }
  const { version } = JSON.parse(readFileSync(pkgJson, 'utf8'));
  if (version !== TFJS_NODE_VERSION) {
    throw new SetupError(`found @tensorflow/tfjs-node ${version}, but this recipe is for ${TFJS_NODE_VERSION}.`);
  }
  return dirname(pkgJson);
}

/** Loads the addon in a child process and runs a matmul; returns {ok, tfVersion, error}. */
function checkBinding() {
  const code = `
    const tf = require('@tensorflow/tfjs-node');
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const v = Array.from(tf.matMul(a, a).dataSync());
    if (tf.getBackend() !== 'tensorflow' || v.join() !== '7,10,15,22') throw new Error('wrong matmul ' + v);
    console.log(JSON.stringify({ tf: tf.backend().binding.TF_Version }));`;
  const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' };
  delete env.LD_LIBRARY_PATH; // the addon must load without it
  const r = run(process.execPath, ['-e', code], { cwd: ROOT, env });
  if (r.status === 0) return { ok: true, tfVersion: JSON.parse(r.stdout.trim().split('\n').pop()).tf };
  const msg = (r.stderr || r.stdout || '').split('\n').find((l) => /Error|error:|undefined symbol|cannot open/.test(l)) ?? r.stderr;
  return { ok: false, error: msg.trim() };
}

function findPython() {
  for (const py of [process.env.PYTHON, 'python3', '/usr/bin/python3', 'python'].filter(Boolean)) {
    if (run(py, ['-c', 'import sys; print(sys.version_info[0])']).stdout?.trim() === '3') return py;
  }
  throw new SetupError('no python3 found; pip is needed to fetch the tensorflow-cpu wheel (or pass --tensorflow-dir).');
}

/** An installed tensorflow package directory that holds the C library, if any. */
function findInstalledTensorflow(python) {
  const code = `
import importlib.util, importlib.metadata as m, json
s = importlib.util.find_spec('tensorflow')
v = None
for d in ('tensorflow', 'tensorflow-cpu'):
    try: v = m.version(d); break
    except Exception: pass
print(json.dumps({'dir': list(s.submodule_search_locations)[0] if s else None, 'version': v}))`;
  const r = run(python, ['-c', code]);
  if (r.status !== 0) return undefined;
  const { dir, version } = JSON.parse(r.stdout.trim());
  return dir && existsSync(join(dir, 'libtensorflow_cc.so.2')) ? { dir, version } : undefined;
}

/** Members of the wheel (or installed package) that the build needs, relative to tensorflow/. */
const WANTED = String.raw`^(libtensorflow_cc\.so\.2|libtensorflow_framework\.so\.2|include/tensorflow/c/.*|include/tensorflow/core/platform/ctstring.*|include/tsl/platform/ctstring.*|include/xla/tsl/c/.*)$`;

function extractWheel(python, wheel, dest) {
  log(`unpacking the TensorFlow C library and headers from ${wheel}`);
  const code = `
import re, sys, zipfile, os, shutil
wheel, dest, wanted = sys.argv[1], sys.argv[2], re.compile(sys.argv[3])
n = 0
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if not info.filename.startswith('tensorflow/') or info.is_dir(): continue
        rel = info.filename[len('tensorflow/'):]
        if not wanted.match(rel): continue
        out = os.path.join(dest, 'lib', rel) if rel.startswith('lib') else os.path.join(dest, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(info) as src, open(out + '.tmp', 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(out + '.tmp', out)
        n += 1
print(n)`;
  const r = run(python, ['-c', code, wheel, dest, WANTED]);
  if (r.status !== 0) throw new SetupError(`could not unpack ${wheel}: ${r.stderr.trim().split('\n').pop()}`);
  if (!existsSync(join(dest, 'lib', 'libtensorflow_cc.so.2')) || !existsSync(join(dest, 'include', 'tensorflow', 'c', 'c_api.h'))) {
    throw new SetupError(`${wheel} holds no libtensorflow_cc.so.2 or C headers; is it a tensorflow-cpu 2.x wheel for linux x86_64?`);
  }
}

function linkInstalled(dir, dest) {
  log(`using the installed tensorflow at ${dir}`);
  mkdirSync(join(dest, 'lib'), { recursive: true });
  for (const lib of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) forceSymlink(join(dir, lib), join(dest, 'lib', lib));
  if (!existsSync(join(dir, 'include', 'tensorflow', 'c', 'c_api.h'))) throw new SetupError(`${dir}/include lacks tensorflow/c/c_api.h.`);
  forceSymlink(join(dir, 'include'), join(dest, 'include'));
}

function forceSymlink(target, path) {
  if (existsSync(path) || isLink(path)) rmSync(path, { recursive: true, force: true });
  symlinkSync(target, path);
}

function isLink(path) {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Makes tools/.native/tensorflow-<version>/{lib,include} exist; returns its path. */
function provideLibrary(opts) {
  const python = findPython();
  if (opts.tensorflowDir) {
    const dest = join(NATIVE, 'tensorflow-local');
    if (!existsSync(join(opts.tensorflowDir, 'libtensorflow_cc.so.2'))) {
      throw new SetupError(`${opts.tensorflowDir} holds no libtensorflow_cc.so.2; pass the directory of the installed tensorflow package.`);
    }
    linkInstalled(opts.tensorflowDir, dest);
    return dest;
  }
  const dest = join(NATIVE, `tensorflow-${opts.tfVersion}`);
  if (opts.wheel && !existsSync(opts.wheel)) throw new SetupError(`wheel ${opts.wheel} does not exist.`);
  if (!opts.wheel && existsSync(join(dest, 'lib', 'libtensorflow_cc.so.2')) && existsSync(join(dest, 'include', 'tensorflow', 'c', 'c_api.h'))) {
    log(`reusing ${dest}`);
    return dest;
  }
  const installed = opts.wheel ? undefined : findInstalledTensorflow(python);
  if (installed) {
    linkInstalled(installed.dir, dest);
    return dest;
  }
  let wheel = opts.wheel;
  const wheels = join(NATIVE, 'wheels');
  if (!wheel) {
    mkdirSync(wheels, { recursive: true });
    const spec = `tensorflow-cpu==${opts.tfVersion}`;
    log(`downloading ${spec} with pip (the wheel is ~270 MB; only its C library and headers are kept)`);
    const r = run(python, ['-m', 'pip', 'download', spec, '--no-deps', '-d', wheels], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) {
      const why = /No module named pip/.test(r.stderr) ? `${python} has no pip` : r.stderr.trim().split('\n').slice(-2).join(' ');
      throw new SetupError(`pip could not download ${spec}: ${why}. Pass --wheel FILE or --tensorflow-dir DIR instead.`);
    }
    wheel = readdirSync(wheels).filter((f) => f.startsWith('tensorflow_cpu-') && f.endsWith('.whl')).map((f) => join(wheels, f))[0];
    if (!wheel) throw new SetupError(`pip reported success but no tensorflow_cpu wheel is in ${wheels}.`);
  }
  rmSync(dest, { recursive: true, force: true });
  extractWheel(python, wheel, dest);
  if (!opts.wheel && !opts.keepWheel) rmSync(wheel, { force: true });
  return dest;
}

/** Points tfjs-node's deps/ at the library directory, with the names binding.gyp links. */
function linkDeps(tfjsNode, libDir) {
  const lib = join(libDir, 'lib');
  forceSymlink('libtensorflow_cc.so.2', join(lib, 'libtensorflow.so'));
  forceSymlink('libtensorflow_framework.so.2', join(lib, 'libtensorflow_framework.so'));
  forceSymlink(libDir, join(tfjsNode, 'deps'));
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const npmRoot = run('npm', ['root', '-g']).stdout?.trim();
  if (npmRoot) candidates.push(join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new SetupError('npm\'s bundled node-gyp was not found; install node-gyp (`npm i -g node-gyp`).');
  return found;
}

/** Directory holding include/node/node_api.h for this Node (no header download offline). */
function findNodeDir() {
  const candidates = [process.env.npm_config_nodedir, run('npm', ['config', 'get', 'nodedir']).stdout?.trim(), resolve(dirname(process.execPath), '..')];
  const found = candidates.filter((c) => c && c !== 'undefined').find((c) => existsSync(join(c, 'include', 'node', 'node_api.h')));
  if (!found) throw new SetupError(`Node's headers (include/node/node_api.h) were not found next to ${process.execPath}; install the nodejs headers package (Debian: libnode-dev or nodejs with headers).`);
  return found;
}

function checkToolchain() {
  for (const [tool, hint] of [['c++', 'g++ (Debian: apt-get install g++)'], ['make', 'make (Debian: apt-get install make)']]) {
    if (run(tool, ['--version']).status !== 0) throw new SetupError(`no ${tool} found; install ${hint}.`);
  }
}

function build(tfjsNode, libDir) {
  checkToolchain();
  const nodeGyp = findNodeGyp();
  const nodedir = findNodeDir();
  const modulePath = join(tfjsNode, 'lib', `napi-v${NAPI_VERSION}`);
  log(`compiling tfjs_binding.node (node-gyp, N-API ${NAPI_VERSION}, headers from ${nodedir})`);
  const env = { ...process.env, LDFLAGS: `-Wl,-rpath,${join(libDir, 'lib')}`, npm_config_nodedir: nodedir };
  const r = run(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, `--napi_build_version=${NAPI_VERSION}`,
    '--module_name=tfjs_binding', `--module_path=${modulePath}`, '-j', '2'], { cwd: tfjsNode, env });
  if (r.status !== 0) {
    const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error|undefined reference|No such file/i.test(l)).slice(0, 8);
    throw new SetupError(`the addon did not compile:\n  ${lines.join('\n  ')}\n(headers or library do not match tfjs-node ${TFJS_NODE_VERSION}: an ABI mismatch)`);
  }
  mkdirSync(modulePath, { recursive: true });
  copyFileSync(join(tfjsNode, 'build', 'Release', 'tfjs_binding.node'), join(modulePath, 'tfjs_binding.node'));
  rmSync(join(tfjsNode, 'build'), { recursive: true, force: true });
}

/** File name of the stdio guard next to tfjs-node's binding (read by @calozoo/core's select-tf.ts). */
const GUARD_NAME = 'calozoo_stdio_guard.node';
const GUARD_CACHE = join(NATIVE, GUARD_NAME);

/**
 * Builds (once; cached in tools/.native) and installs the stdio guard: a small N-API addon that
 * lets the device layer send TensorFlow's start-up lines on fd 2 to a file (tools/native/stdio-guard).
 * Optional: without it the backend works and TensorFlow prints two lines when it loads.
 */
function installGuard(tfjsNode) {
  const target = join(tfjsNode, 'lib', `napi-v${NAPI_VERSION}`, GUARD_NAME);
  if (!existsSync(GUARD_CACHE)) {
    const src = join(ROOT, 'tools', 'native', 'stdio-guard');
    const out = join(NATIVE, 'stdio-guard-build');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    for (const f of ['binding.gyp', 'stdio_guard.c']) copyFileSync(join(src, f), join(out, f));
    const nodedir = findNodeDir();
    const r = run(process.execPath, [findNodeGyp(), 'rebuild', `--nodedir=${nodedir}`], { cwd: out, env: { ...process.env, npm_config_nodedir: nodedir } });
    if (r.status !== 0) {
      log(`warning: the stdio guard did not compile (TensorFlow will print its start-up lines):\n  ${`${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error/i.test(l)).slice(0, 4).join('\n  ')}`);
      return;
    }
    copyFileSync(join(out, 'build', 'Release', GUARD_NAME), GUARD_CACHE);
    rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(GUARD_CACHE, target);
}

/** Cache of the last good build, to restore after npm replaced the package directory. */
const CACHE = join(NATIVE, 'tfjs_binding.node');
const CACHE_INFO = join(NATIVE, 'build-info.json');

function restoreFromCache(tfjsNode) {
  if (!existsSync(CACHE) || !existsSync(CACHE_INFO)) return false;
  const info = JSON.parse(readFileSync(CACHE_INFO, 'utf8'));
  if (info.tfjsNode !== TFJS_NODE_VERSION || info.napi !== NAPI_VERSION || !existsSync(join(info.libDir, 'lib', 'libtensorflow_cc.so.2'))) return false;
  linkDeps(tfjsNode, info.libDir);
  const modulePath = join(tfjsNode, 'lib', `napi-v${NAPI_VERSION}`);
  mkdirSync(modulePath, { recursive: true });
  copyFileSync(CACHE, join(modulePath, 'tfjs_binding.node'));
  return true;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log('usage: node tools/native/setup-native.mjs [--force] [--check] [--optional] [--tensorflow-dir DIR | --wheel FILE] [--tf-version 2.21.0] [--keep-wheel]');
    return;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new SetupError(`this recipe supports linux x64 only (found ${process.platform} ${process.arch}); there, use tfjs-node's own prebuilt binaries.`);
  }
  const started = Date.now();
  const tfjsNode = tfjsNodeDir();
  const before = checkBinding();
  if (opts.check) {
    log(before.ok ? `native backend loads (TensorFlow ${before.tfVersion})` : `native backend does not load: ${before.error}`);
    process.exitCode = before.ok ? 0 : 1;
    return;
  }
  if (before.ok && !opts.force) {
    installGuard(tfjsNode);
    log(`native backend already built and working (TensorFlow ${before.tfVersion}); nothing to do (--force rebuilds).`);
    return;
  }
  if (!opts.force && !opts.tensorflowDir && !opts.wheel && restoreFromCache(tfjsNode)) {
    const restored = checkBinding();
    if (restored.ok) {
      installGuard(tfjsNode);
      log(`restored the cached build into ${tfjsNode} (TensorFlow ${restored.tfVersion}).`);
      return;
    }
    log(`cached build does not load (${restored.error}); rebuilding`);
  }
  mkdirSync(NATIVE, { recursive: true });
  const libDir = provideLibrary(opts);
  linkDeps(tfjsNode, libDir);
  build(tfjsNode, libDir);
  const after = checkBinding();
  if (!after.ok) {
    const abi = /undefined symbol/.test(after.error ?? '') ? ' (ABI mismatch: the TensorFlow C library lacks a symbol tfjs-node needs)' : '';
    throw new SetupError(`the addon was built but does not load: ${after.error}${abi}.`);
  }
  if (opts.force) rmSync(GUARD_CACHE, { force: true });
  installGuard(tfjsNode);
  copyFileSync(join(tfjsNode, 'lib', `napi-v${NAPI_VERSION}`, 'tfjs_binding.node'), CACHE);
  writeFileSync(CACHE_INFO, JSON.stringify({ tfjsNode: TFJS_NODE_VERSION, napi: NAPI_VERSION, libDir, tensorflow: after.tfVersion, node: process.version }, null, 2));
  log(`native TensorFlow ${after.tfVersion} backend ready in ${((Date.now() - started) / 1000).toFixed(0)} s (matmul check passed).`);
}

try {
  main();
} catch (error) {
  const optional = process.argv.includes('--optional');
  if (!(error instanceof SetupError) && !optional) throw error;
  console.error(`setup-native: error: ${error instanceof Error ? error.message : String(error)}`);
  // --optional (npm test / npm start): say so loudly, and go on with the WebAssembly backend.
  if (optional) {
    console.error('setup-native: continuing WITHOUT native TensorFlow: tests run on the wasm and cpu backends, and training is far slower (the CaloMan networks: 5-74x on wasm, 31-187x on cpu; see README "Native TensorFlow").');
  } else process.exitCode = 1;
}
