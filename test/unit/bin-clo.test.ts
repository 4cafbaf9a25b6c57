/**
 * bin/clo runs dist/ only while it is a build of the current sources (bin/dist-state.js):
 * an edited source is run from the TypeScript through tsx, never answered by old compiled
 * code; an install without tsx runs dist/ but says it may be old. Each case runs a copy of
 * bin/ in a scratch root whose dist/client/cli.js and client/cli.ts print which one ran.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const REPO = resolve(__dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { distState } = require('../../bin/dist-state.js') as {
  distState: (root: string) => { fresh: true } | { fresh: false; reason: string };
};

let root: string;

/** A scratch checkout: bin/, a source tree, a "compiled" CLI, and (with `tsx`) node_modules. */
async function scratch(opts: { tsx: boolean }): Promise<void> {
  root = await mkdtemp(join(tmpdir(), 'clo-bin-'));
  await cp(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  if (opts.tsx) await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'));
  await mkdir(join(root, 'client'), { recursive: true });
  await mkdir(join(root, 'workflows', 'lib'), { recursive: true });
  await mkdir(join(root, 'dist', 'client'), { recursive: true });
  const say = (what: string) => `exports.run = () => console.log('${what}');\n`;
  await writeFile(join(root, 'client', 'cli.ts'), say('sources'));
  await writeFile(join(root, 'workflows', 'lib', 'format.ts'), 'export {};\n');
  await writeFile(join(root, 'dist', 'client', 'cli.js'), say('dist'));
  await build(Date.now());
}

/** What scripts/build.sh leaves: a stamp with the time the build started. */
async function build(startedMs: number): Promise<void> {
  await writeFile(join(root, 'dist', '.build-stamp'), JSON.stringify({ startedMs }));
}

/** Sets a source's modification time to `ms`, as an edit at that moment would. */
async function touch(rel: string, ms: number): Promise<void> {
  await utimes(join(root, rel), ms / 1000, ms / 1000);
}

async function clo(env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  return await promisify(execFile)(process.execPath, [join(root, 'bin', 'clo')], {
    env: { ...process.env, CLO_DEV_TSX: '', ...env },
  });
}

afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('bin/clo', () => {
  it('runs dist/ when no source changed after the build, the sources once one did', async () => {
    await scratch({ tsx: true });
    const built = Date.now();
    await touch('client/cli.ts', built - 60_000);
    await touch('workflows/lib/format.ts', built - 60_000);
    await build(built);
    expect(distState(root)).toEqual({ fresh: true });
    expect(await clo()).toEqual({ stdout: 'dist\n', stderr: '' });

    // An edit in any source directory, however deep, makes dist/ stale.
    await touch('workflows/lib/format.ts', built + 1000);
    expect(distState(root)).toEqual({
      fresh: false,
      reason: 'workflows/lib/format.ts changed after dist/ was built',
    });
    // Not a terminal: the same output as from dist/, only slower.
    expect(await clo()).toEqual({ stdout: 'sources\n', stderr: '' });
  });

  it('treats a build without its stamp (interrupted, or tsc by hand) as stale', async () => {
    await scratch({ tsx: true });
    await rm(join(root, 'dist', '.build-stamp'));
    expect(distState(root)).toEqual({ fresh: false, reason: 'dist/ has no complete build' });
    expect((await clo()).stdout).toBe('sources\n');
  });

  it('runs the sources whatever dist/ holds with CLO_DEV_TSX=1', async () => {
    await scratch({ tsx: true });
    await touch('client/cli.ts', Date.now() - 60_000);
    expect((await clo({ CLO_DEV_TSX: '1' })).stdout).toBe('sources\n');
  });

  it('without tsx runs a stale dist/ but warns that it may be old code', async () => {
    await scratch({ tsx: false });
    await touch('client/cli.ts', Date.now() + 1000);
    expect(await clo()).toEqual({
      stdout: 'dist\n',
      stderr:
        'clo: warning: client/cli.ts changed after dist/ was built; this may be old code: run `npm run build`\n',
    });
  });
});

describe('bin/clo from the sources of this checkout', () => {
  it("loads a command's lazily imported modules (directory and extensionless imports of .ts)", async () => {
    // clo upload imports activities/sources (a directory) with import() inside its action: Node's
    // ES-module loader resolves that, so tsx must hook it too, or the command dies on the import.
    root = '';
    const run = promisify(execFile)(
      process.execPath,
      [join(REPO, 'bin', 'clo'), 'upload', '/nonexistent/clo-bin-test.iso', '--library', 'l', '--item', 'i'],
      { env: { ...process.env, CLO_DEV_TSX: '1' } },
    );
    const failed = (await run.catch((e: unknown) => e)) as { stderr: string; code: number };
    expect(failed.stderr).toContain('/nonexistent/clo-bin-test.iso does not exist');
    expect(failed.stderr).not.toMatch(/Directory import|Cannot find module/);
    expect(failed.code).toBe(2);
  });
});
