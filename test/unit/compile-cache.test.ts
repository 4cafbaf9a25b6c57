/**
 * bin/compile-cache.js: the V8 code cache bin/clo uses for dist/ on Node 20. Each case runs a
 * copy of bin/ in a scratch root whose dist/client/cli.js requires a small module and prints
 * what it says; CLO_COMPILE_CACHE=stats makes the cache report its hits and misses at exit.
 * The bundle's cases give the root a dist/client/cli.bundle.js too (scripts/bundle-cli.ts).
 */
import { execFile } from 'node:child_process';
import * as nodeModule from 'node:module';
import { cp, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const REPO = resolve(__dirname, '../..');
// Node 22.1+ caches through module.enableCompileCache, which these cases do not look into.
const hooked = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache !== 'function';

let root: string;

async function scratch(): Promise<void> {
  root = await mkdtemp(join(tmpdir(), 'clo-compile-cache-'));
  await cp(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'dist', 'client'), { recursive: true });
  // What a compiled module relies on: require, __dirname, require.resolve; a #! line.
  await writeFile(
    join(root, 'dist', 'client', 'cli.js'),
    [
      '#!/usr/bin/env node',
      "const { basename } = require('node:path');",
      'exports.run = async () => {',
      "  const said = require('./said').said();",
      "  const platform = await require('./late').platform();",
      "  console.log(`${said} ${basename(__dirname)} ${basename(require.resolve('./said'))} ${platform}`);",
      '};',
    ].join('\n'),
  );
  // import() is left to Node's own compile (bin/compile-cache.js): not in the counts.
  await writeFile(
    join(root, 'dist', 'client', 'late.js'),
    "exports.platform = async () => (await import('node:os')).platform();\n",
  );
  await say('one', Date.now() - 60_000);
  await build();
}

/** dist/client/said.js, whose function returns `word`, modified at `mtimeMs`. */
async function say(word: string, mtimeMs: number): Promise<void> {
  const file = join(root, 'dist', 'client', 'said.js');
  await writeFile(file, `exports.said = () => '${word}';\n`);
  await utimes(file, mtimeMs / 1000, mtimeMs / 1000);
}

/** A new dist/.build-stamp, as `npm run build` leaves (bin/dist-state.js). */
async function build(): Promise<void> {
  await writeFile(join(root, 'dist', '.build-stamp'), JSON.stringify({ startedMs: Date.now() }));
}

async function clo(value = 'stats', args: string[] = []): Promise<{ stdout: string; stderr: string }> {
  return await promisify(execFile)(process.execPath, [join(root, 'bin', 'clo'), ...args], {
    env: { ...process.env, CLO_DEV_TSX: '', CLO_COMPILE_CACHE: value },
  });
}

afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

(hooked ? describe : describe.skip)('bin/compile-cache.js on Node 20', () => {
  it('compiles from source once, then from the cache, with the module semantics intact', async () => {
    await scratch();
    expect(await clo()).toEqual({
      stdout: `one client said.js ${process.platform}\n`,
      stderr: 'clo: compile cache: 0 hits, 2 misses\n',
    });
    expect(await readdir(join(root, 'dist', '.compile-cache'))).toEqual([
      `v8-${process.version}-${process.arch}.bin`,
    ]);
    expect(await clo()).toEqual({
      stdout: `one client said.js ${process.platform}\n`,
      stderr: 'clo: compile cache: 2 hits, 0 misses\n',
    });
  });

  it('never runs cached code of a file edited in place, even at the same length', async () => {
    await scratch();
    await clo();
    // V8 checks only the source's length: 'two' has the length of 'one'.
    await say('two', Date.now());
    expect(await clo()).toEqual({
      stdout: `two client said.js ${process.platform}\n`,
      stderr: 'clo: compile cache: 1 hits, 1 misses\n',
    });
    expect((await clo()).stderr).toBe('clo: compile cache: 2 hits, 0 misses\n');
  });

  it('starts again after a new build', async () => {
    await scratch();
    await clo();
    await build();
    expect((await clo()).stderr).toBe('clo: compile cache: 0 hits, 2 misses\n');
  });

  it('is off with CLO_COMPILE_CACHE=0', async () => {
    await scratch();
    expect(await clo('0')).toEqual({ stdout: `one client said.js ${process.platform}\n`, stderr: '' });
    await expect(readdir(join(root, 'dist', '.compile-cache'))).rejects.toThrow(/ENOENT/);
  });

  describe('the CLI bundle (dist/client/cli.bundle.js)', () => {
    /** A bundle printing what ran, with a non-ASCII string written as the bundler writes it. */
    async function bundle(comment = ''): Promise<void> {
      await writeFile(
        join(root, 'dist', 'client', 'cli.bundle.js'),
        `${comment}\nexports.run = () => console.log('bundle \\u00e9 ' + require('node:path').basename(__filename));\n`,
      );
    }

    it('runs the commands that talk to Temporal, each with its own cache', async () => {
      await scratch();
      await bundle();
      expect(await clo('stats', ['upload', 'x'])).toEqual({
        stdout: 'bundle \u00e9 cli.bundle.js\n',
        stderr: 'clo: compile cache: 0 hits, 1 misses\n',
      });
      expect((await clo('stats', ['upload', 'y'])).stderr).toBe('clo: compile cache: 1 hits, 0 misses\n');
      // Another command compiled other functions of the same file: its own cache.
      expect((await clo('stats', ['--debug', 'status'])).stderr).toBe(
        'clo: compile cache: 0 hits, 1 misses\n',
      );
      expect((await readdir(join(root, 'dist', '.compile-cache'))).sort()).toEqual([
        `v8-${process.version}-${process.arch}-bundle-status.bin`,
        `v8-${process.version}-${process.arch}-bundle-upload.bin`,
      ]);
    });

    it('leaves the worker, --help and commands it does not name to the modules of dist/', async () => {
      await scratch();
      await bundle();
      for (const args of [['worker'], ['--help'], [], ['nosuch']]) {
        expect((await clo('stats', args)).stdout).toBe(`one client said.js ${process.platform}\n`);
      }
    });

    it('reads a bundle that is not ASCII as UTF-8', async () => {
      await scratch();
      await bundle('// caf\u00e9 \u{1f447}');
      expect((await clo('0', ['upload'])).stdout).toBe('bundle \u00e9 cli.bundle.js\n');
    });
  });
});
