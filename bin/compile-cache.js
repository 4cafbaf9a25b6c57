// A V8 code cache for the compiled CLI in dist/, so a command does not compile the ~460 modules
// it loads (@temporalio/client, grpc-js, protobufjs, zod...) from source on every start. Node
// 22.1+ has this built in (module.enableCompileCache) and gets it from there; on Node 20 this
// is the same idea in the way v8-compile-cache did it for years: Module.prototype._compile
// compiles through vm.Script with the cached data of the last run. Measured by
// `npm run bench:startup` (docs/benchmarks.md "Start-up").
//
// The cache is one file under dist/.compile-cache/ (one per command for the CLI bundle, whose
// one module holds every command: bin/clo), written at exit only by a run that compiled a
// module the cache did not hold (the first run after a build), with the code compiled up to
// that point: the functions a command ran are then cached too.
// It is valid for one build and one install: its key holds dist/.build-stamp and the size
// and time of npm's node_modules/.package-lock.json, so `npm run build` or `npm ci` starts a
// new one. Each module's entry also holds the size and modification time of its file, so a file
// edited in place (node_modules patched by hand) compiles afresh: V8 itself checks only the
// source's length, and refuses data made by another V8 version or with other flags.
// Off under a debugger, --enable-source-maps or a policy (they hook _compile themselves),
// and with CLO_COMPILE_CACHE=0; CLO_COMPILE_CACHE=stats prints its hits and misses at exit. Plain CommonJS, no dependencies: bin/clo loads it first.
'use strict';
const Module = require('node:module');
const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { isAscii } = require('node:buffer');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const MAGIC = 'clo-compile-cache/1';

/** Flags under which Node's own _compile does more than compile (breakpoints, source maps). */
function nodeFlagsNeedOwnCompile() {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((f) => /^--(inspect|debug|enable-source-maps|experimental-policy)/.test(f));
}

/** A module file's size and modification time: an edit changes them. */
function fileStamp(filename) {
  try {
    const s = statSync(filename);
    return `${s.size} ${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** What the cache is valid for: this build of dist/ and this install of node_modules. */
function cacheKey(root) {
  const parts = [MAGIC, process.version, process.arch];
  try {
    parts.push(readFileSync(join(root, 'dist', '.build-stamp'), 'utf8').trim());
  } catch {
    return undefined;
  }
  for (const lock of ['node_modules/.package-lock.json', 'package-lock.json']) {
    try {
      const s = statSync(join(root, lock));
      parts.push(`${lock} ${s.size} ${s.mtimeMs}`);
      break;
    } catch {
      // An install without npm's hidden lockfile: the next one.
    }
  }
  return parts.join('\n');
}

/** The entries of a cache file: filename -> { stamp, data }; empty when its key differs. */
function readEntries(file, key) {
  const entries = new Map();
  let buf;
  try {
    buf = readFileSync(file);
  } catch {
    return entries;
  }
  try {
    let at = 0;
    const str = () => {
      const n = buf.readUInt32LE(at);
      const s = buf.toString('utf8', at + 4, at + 4 + n);
      at += 4 + n;
      return s;
    };
    if (str() !== key) return entries;
    const count = buf.readUInt32LE(at);
    at += 4;
    for (let i = 0; i < count; i++) {
      const filename = str();
      const stamp = str();
      const n = buf.readUInt32LE(at);
      entries.set(filename, { stamp, data: buf.subarray(at + 4, at + 4 + n) });
      at += 4 + n;
    }
  } catch {
    entries.clear(); // A torn or foreign file: start again.
  }
  return entries;
}

function writeEntries(file, key, entries) {
  const u32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const str = (s) => {
    const b = Buffer.from(s, 'utf8');
    return [u32(b.length), b];
  };
  const parts = [...str(key), u32(entries.size)];
  for (const [filename, { stamp, data }] of entries) {
    parts.push(...str(filename), ...str(stamp), u32(data.length), data);
  }
  mkdirSync(dirname(file), { recursive: true });
  // Another clo may write at the same time: each writes its own file and renames it into place.
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, file);
}

/** Files loaded by requireBundle: no import() in them, whatever their text says. */
const bundles = new Set();

/**
 * Turns the cache on for modules required from now on; `root` is the checkout (dist/ in it).
 * `name` gives the run its own cache file: the CLI bundle is one module whose cached functions
 * are those the first run of a command compiled, so each command keeps its own (bin/clo).
 */
function enableCompileCache(root, { name } = {}) {
  const stats = { mode: 'off', hits: 0, misses: 0 };
  if (process.env.CLO_COMPILE_CACHE === '0' || nodeFlagsNeedOwnCompile()) return stats;
  const dir = join(root, 'dist', '.compile-cache');
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(dir);
    stats.mode = 'node';
    return stats;
  }
  const key = cacheKey(root);
  if (key === undefined) return stats;
  const file = join(dir, `v8-${process.version}-${process.arch}${name ? `-${name}` : ''}.bin`);
  const entries = readEntries(file, key);
  /** filename -> { script, stamp } compiled in this run. */
  const compiled = new Map();
  stats.mode = 'hook';

  const compileFromSource = Module.prototype._compile;
  Module.prototype._compile = function compileCached(content, filename) {
    // import() in a vm.Script compiled from cached data fails on Node 20 (no loader callback):
    // Node compiles those few modules itself (tsc's CommonJS output has none, the CLI bundle
    // none outside comments: scripts/bundle-cli.ts checks).
    if (!bundles.has(filename) && content.includes('import(')) {
      return compileFromSource.call(this, content, filename);
    }
    const mod = this;
    // Node strips a #! line before compiling; inside the wrapper it would be a syntax error.
    const source = content.startsWith('#!') ? `//${content}` : content;
    const stamp = fileStamp(filename);
    const cached = entries.get(filename);
    const usable = cached !== undefined && stamp !== undefined && cached.stamp === stamp;
    const script = new vm.Script(Module.wrap(source), {
      filename,
      cachedData: usable ? cached.data : undefined,
    });
    if (usable && !script.cachedDataRejected) stats.hits++;
    else stats.misses++;
    if (stamp !== undefined) compiled.set(filename, { script, stamp });
    // The require() Node's own _compile hands a module (lib/internal/modules/helpers.js).
    const require = (id) => mod.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(mod.exports, mod.exports, require, mod, filename, dirname(filename));
  };

  process.once('exit', () => {
    if (process.env.CLO_COMPILE_CACHE === 'stats')
      process.stderr.write(`clo: compile cache: ${stats.hits} hits, ${stats.misses} misses\n`);
    if (stats.misses === 0) return;
    try {
      for (const [filename, { script, stamp }] of compiled) {
        entries.set(filename, { stamp, data: script.createCachedData() });
      }
      writeEntries(file, key, entries);
    } catch {
      // A read-only install or a full disk: the next run compiles from source, as without a cache.
    }
  });
  return stats;
}

/**
 * require(filename) for one large module of ours, the CLI bundle (scripts/bundle-cli.ts): read as
 * bytes and, when they are ASCII as the bundler writes them, taken as Latin-1, which costs ~2 ms
 * for its 5 MiB where require()'s UTF-8 decoding costs 20–60 ms. Compiled through _compile, so
 * with the code cache when it is on.
 */
function requireBundle(filename) {
  const known = Module._cache[filename];
  if (known) return known.exports;
  bundles.add(filename);
  const bytes = readFileSync(filename);
  const content = isAscii(bytes) ? bytes.latin1Slice(0, bytes.length) : bytes.toString('utf8');
  const mod = new Module(filename, module);
  mod.filename = filename;
  mod.paths = Module._nodeModulePaths(dirname(filename));
  Module._cache[filename] = mod;
  try {
    mod._compile(content, filename);
  } catch (err) {
    delete Module._cache[filename];
    throw err;
  }
  mod.loaded = true;
  return mod.exports;
}

module.exports = { enableCompileCache, requireBundle };
