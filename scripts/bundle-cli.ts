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

/**
 * The namespaces of @temporalio/proto no bundled command uses: the worker's core SDK protos,
 * Temporal Cloud's API, the OpenAPI annotations. The client builds protobufjs reflection
 * objects for every type at load (~1,200 types: its largest start-up cost); without these,
 * ~800.
 */
const PRUNED_PROTO_NAMESPACES = ['coresdk', 'temporal.api.cloud', 'grpc.gateway'];

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

/** A namespace, message, enum or service in protobufjs's JSON form (what pbjs -t json writes). */
interface ProtoJson {
  nested?: Record<string, ProtoJson>;
  fields?: Record<string, { type: string; keyType?: string }>;
  methods?: Record<string, { requestType: string; responseType: string }>;
}

/** Every type, enum, service and namespace of a JSON root by its full name. */
function index(
  nested: Record<string, ProtoJson>,
  path = '',
  names = new Map<string, ProtoJson>(),
): Map<string, ProtoJson> {
  for (const [name, value] of Object.entries(nested)) {
    const full = path ? `${path}.${name}` : name;
    names.set(full, value);
    if (value.nested) index(value.nested, full, names);
  }
  return names;
}

/** The full name `ref` means inside `scope`, by protobuf's rule: innermost enclosing scope first. */
function resolveRef(ref: string, scope: string, names: Map<string, ProtoJson>): string | undefined {
  if (ref.startsWith('.')) return names.has(ref.slice(1)) ? ref.slice(1) : undefined;
  for (let parts = scope.split('.'); ; parts.pop()) {
    const full = parts.length ? `${parts.join('.')}.${ref}` : ref;
    if (names.has(full)) return full;
    if (!parts.length) return undefined;
  }
}

const inPruned = (full: string) =>
  PRUNED_PROTO_NAMESPACES.some((ns) => full === ns || full.startsWith(`${ns}.`));

/**
 * @temporalio/proto's JSON root without PRUNED_PROTO_NAMESPACES. Throws, failing the build, when
 * one is missing or a type kept refers into one (the bundle would fail on that type at run time).
 */
function prunedProtoJson(source: string): Record<string, ProtoJson> {
  const start = source.indexOf('.addJSON(') + '.addJSON('.length;
  const json = JSON.parse(source.slice(start, source.lastIndexOf('});') + 1)) as Record<string, ProtoJson>;
  const names = index(json);
  const missing = PRUNED_PROTO_NAMESPACES.filter((ns) => !names.has(ns));
  if (missing.length) throw new Error(`@temporalio/proto has no namespace ${missing.join(', ')} to prune`);
  const bad = new Set<string>();
  for (const [full, value] of names) {
    if (inPruned(full)) continue;
    const refs = [
      ...Object.values(value.fields ?? {}).flatMap((f) => [f.type, f.keyType]),
      ...Object.values(value.methods ?? {}).flatMap((m) => [m.requestType, m.responseType]),
    ];
    for (const ref of refs) {
      const target = ref === undefined ? undefined : resolveRef(ref, full, names);
      if (target && inPruned(target)) bad.add(`${full} -> ${target}`);
    }
  }
  if (bad.size) throw new Error(`@temporalio/proto: types kept refer to pruned ones: ${[...bad].join(', ')}`);
  for (const ns of PRUNED_PROTO_NAMESPACES) {
    const parts = ns.split('.');
    const parent = parts.slice(0, -1).reduce((nested, name) => nested[name]!.nested!, json);
    delete parent[parts.at(-1)!];
  }
  return json;
}

/** @temporalio/proto's json-module, pruned, as a JSON string (which V8 parses faster than a literal). */
const pruneProto: Plugin = {
  name: 'prune-proto',
  setup(b) {
    b.onLoad({ filter: /[\\/]@temporalio[\\/]proto[\\/]protos[\\/]json-module\.js$/ }, async (args) => {
      const json = JSON.stringify(prunedProtoJson(await readFile(args.path, 'utf8')));
      return {
        contents:
          `'use strict';\nconst $protobuf = require('protobufjs/light');\n` +
          `const $root = $protobuf.roots.__temporal || ($protobuf.roots.__temporal = new $protobuf.Root());\n` +
          `module.exports = $root.addJSON(JSON.parse(${JSON.stringify(json)}));\n`,
        loader: 'js',
        resolveDir: dirname(args.path),
      };
    });
  },
};

async function main() {
  const result = await build({
    entryPoints: [join(dist, 'client', 'cli.js')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    plugins: [ownLocation, pruneProto],
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
  console.log(`cli bundle: ${relative(root, outfile)} (${modules} modules, ${mib} MiB)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
