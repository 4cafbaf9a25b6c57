// `tsx scripts/bundle-cli.ts` (scripts/build.sh runs it after tsc): bundles the compiled CLI,
// dist/client/cli.js and every module it imports (@temporalio/client, grpc-js, protobufjs, zod
// included), into one file, dist/client/cli.bundle.js, which bin/clo runs for the commands that
// only talk to a Temporal server. One file where dist/ has ~430 modules to resolve, stat and
// read at each start, and one entry in the V8 code cache (bin/compile-cache.js). What it bought:
// docs/benchmarks.md "Start-up" (`npm run bench:startup`).
//
// Each bundled module of ours still sees its own place in dist/: __dirname, __filename and
// require.resolve('./relative') are rewritten to name the module's file, not the bundle (the
// sealed-failure converter's path, the dev stack's repository root). The worker's packages are
// left out: `clo worker`, `clo dev` and `clo demo` run the modules of dist/ (bin/clo), so the
// worker's SDK never meets a second copy of @temporalio/common.
//
// esbuild: a devDependency pinned at the version tsx itself runs on, so one copy serves both.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { checkProtoJson, protoJsonOf, reachableProtoJson, type ProtoJson } from './prune-proto';

const root = join(__dirname, '..');
const dist = join(root, 'dist');
const outfile = join(dist, 'client', 'cli.bundle.js');

/**
 * Left as require()s, resolved from dist/client: the packages only the worker's commands load,
 * and leaf libraries only some client commands need (URL and OVF/OVA sources, sync's HTTP
 * index), so the others do not read them. Each is then one copy, loaded where it is used.
 */
const EXTERNAL = [
  '@temporalio/worker',
  '@temporalio/core-bridge',
  '@temporalio/testing',
  '@swc/core',
  'pino',
  'webpack',
  'undici',
  'fast-xml-parser',
  'tar-stream',
];

/** Our compiled modules with their own location put back (see the header). */
const ownLocation: Plugin = {
  name: 'own-location',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(dist + sep)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!/__dirname|__filename|require\.resolve\(/.test(source)) return { contents: source, loader: 'js' };
      const dir = relative(dirname(outfile), dirname(args.path)).split(sep).join('/') || '.';
      const file = args.path.slice(dirname(args.path).length + 1);
      // One line, so the module's own lines keep their numbers within it.
      const prelude =
        `const __cloDir = require("node:path").join(__dirname, ${JSON.stringify(dir)}); ` +
        `const __cloFile = require("node:path").join(__cloDir, ${JSON.stringify(file)}); ` +
        `const __cloResolve = (r) => require.resolve(r.startsWith(".") ? require("node:path").join(__cloDir, r) : r);`;
      const contents = source
        .replace(/\b__dirname\b/g, '__cloDir')
        .replace(/\b__filename\b/g, '__cloFile')
        .replace(/\brequire\.resolve\(/g, '__cloResolve(');
      // After a leading 'use strict', which must stay the module's first statement.
      const strict = /^(['"])use strict\1;?/.exec(contents);
      return {
        contents: strict
          ? `${strict[0]} ${prelude}${contents.slice(strict[0].length)}`
          : `${prelude}\n${contents}`,
        loader: 'js',
      };
    });
  },
};

/**
 * @temporalio/proto's json-module: with `root` set, that root (scripts/prune-proto.ts) as a JSON
 * string (which V8 parses faster than a literal); without, none, for the first pass's scan.
 */
function protoPlugin(root?: Record<string, ProtoJson>): Plugin {
  return {
    name: 'prune-proto',
    setup(b) {
      b.onLoad({ filter: /[\\/]@temporalio[\\/]proto[\\/]protos[\\/]json-module\.js$/ }, (args) => ({
        contents:
          `'use strict';\nconst $protobuf = require('protobufjs/light');\n` +
          `const $root = $protobuf.roots.__temporal || ($protobuf.roots.__temporal = new $protobuf.Root());\n` +
          `module.exports = $root.addJSON(JSON.parse(${JSON.stringify(JSON.stringify(root ?? {}))}));\n`,
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
    },
  };
}

/** A fixed edit of a dependency's file in the bundle; the build fails when `from` is not in it once. */
function patchSource(source: string, file: string, from: string, to: string): string {
  const at = source.indexOf(from);
  if (at < 0 || source.indexOf(from, at + 1) >= 0)
    throw new Error(
      `${file}: the text scripts/bundle-cli.ts patches is not there once (a new version?): ${from}`,
    );
  return source.slice(0, at) + to + source.slice(at + from.length);
}

/**
 * protobufjs's Type#setup, at a message type's first encode or decode, generates five functions
 * with `new Function` (encode, decode, verify, fromObject, toObject) where a command uses one or
 * two: each is generated at its first use instead, the same code. The types with wrappers
 * (google.protobuf.Any...) keep the eager path.
 */
const LAZY_SETUP = `    // Replace setup methods with type-specific generated functions
`;
const LAZY_SETUP_CODE = `    // clo (scripts/bundle-cli.ts): each function generated at its first use, not all five now.
    if (!wrappers[fullName]) {
        var self = this;
        var lazy = function(name, make) {
            var set = function(fn) {
                Object.defineProperty(self, name, { value: fn, writable: true, enumerable: true, configurable: true });
                return fn;
            };
            Object.defineProperty(self, name, {
                get: function() { return set(make()); },
                set: set,
                enumerable: true,
                configurable: true,
            });
        };
        lazy("encode", function() { return encoder(self)({ Writer: Writer, types: types, util: util }); });
        lazy("decode", function() { return decoder(self)({ Reader: Reader, types: types, util: util, C: self.ctor }); });
        lazy("verify", function() { return verifier(self)({ types: types, util: util }); });
        lazy("fromObject", function() { return converter.fromObject(self)({ types: types, util: util, C: self.ctor }); });
        lazy("toObject", function() { return converter.toObject(self)({ types: types, util: util }); });
        return this;
    }
${LAZY_SETUP}`;

/**
 * commander loads child_process at start for subcommands that run as their own executables,
 * which clo has none of (~7 ms a start): loaded at its first spawn instead.
 */
const COMMANDER_SPAWN = "const childProcess = require('node:child_process');";
const COMMANDER_SPAWN_LAZY =
  "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) }; // clo: scripts/bundle-cli.ts";

/** The edits above, by file; protobufjs's setup in the copy @temporalio/proto builds its root with. */
const patchDependencies: Plugin = {
  name: 'patch-dependencies',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]protobufjs[\\/]src[\\/]type\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      // @grpc/proto-loader's older copy (not loaded by any bundled command) stays as it is.
      if (!args.path.includes(`${sep}@temporalio${sep}`)) return { contents: source, loader: 'js' };
      return { contents: patchSource(source, args.path, LAZY_SETUP, LAZY_SETUP_CODE), loader: 'js' };
    });
    b.onLoad({ filter: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return {
        contents: patchSource(source, args.path, COMMANDER_SPAWN, COMMANDER_SPAWN_LAZY),
        loader: 'js',
      };
    });
  },
};

/** The bundle, written to `outfile` or, with `write: false`, returned only. */
async function bundle(protoRoot: Record<string, ProtoJson> | undefined, write: boolean) {
  return await build({
    entryPoints: [join(dist, 'client', 'cli.js')],
    outfile,
    write,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    plugins: [ownLocation, protoPlugin(protoRoot), patchDependencies],
    // require.resolve of a package works from dist/client as from the module: node_modules is above both.
    logOverride: { 'require-resolve-not-external': 'silent' },
    logLevel: 'warning',
    legalComments: 'none',
    // Without comments and indentation: 2.9 MiB instead of 4.1, and a start reads (and copies
    // into a string) every byte: ~5% less CPU per command, measured. Stack traces (--debug)
    // then name the bundle's line 1 and a column; CLO_DEV_TSX=1 runs the sources.
    minifyWhitespace: true,
    metafile: true,
  });
}

async function main() {
  // Two passes: the first, without @temporalio/proto's root, is the code whose words and names
  // say what of the root the second keeps (scripts/prune-proto.ts).
  const scan = await bundle(undefined, false);
  const protoModule = require.resolve('@temporalio/proto/protos/json-module.js');
  const full = protoJsonOf(await readFile(protoModule, 'utf8'));
  const pruned = reachableProtoJson(full, scan.outputFiles![0]!.text);
  checkProtoJson(pruned.json, require.resolve('@temporalio/proto/package.json'));
  const result = await bundle(pruned.json, true);
  // bin/compile-cache.js caches the bundle whole: an import() in it would fail when run from
  // the cache on Node 20 (no loader callback), so none may be left (a require() does instead).
  const output = result.metafile.outputs[relative(root, outfile)];
  const dynamic = output?.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path) ?? [];
  if (dynamic.length)
    throw new Error(`the CLI bundle keeps import() of ${dynamic.join(', ')}: make it a require()`);
  // esbuild escapes every non-ASCII character in code; a comment it kept would copy its own:
  // escaped too, the bundle is ASCII, which bin/clo reads ~20x faster than UTF-8 (requireBundle).
  const text = await readFile(outfile, 'utf8');
  await writeFile(
    outfile,
    text.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`),
  );
  const modules = Object.keys(result.metafile.inputs).length;
  const mib = (Buffer.byteLength(text) / 2 ** 20).toFixed(1);
  console.log(
    `cli bundle: ${relative(root, outfile)} (${modules} modules, ${mib} MiB; ` +
      `@temporalio/proto: ${pruned.kept} of ${pruned.types} types, ${pruned.methods.length} methods)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
