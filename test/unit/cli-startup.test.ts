/**
 * `clo --help` loads commander and the command definitions only: the Temporal client, the
 * worker, undici, pino and zod load in the action that needs them (client/commands/*), so the
 * CLI starts in ~0.1 s (bench/startup.ts). Run in a child process: Jest's module registry
 * is not Node's, and a fresh process is what a user starts.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { HELP_CORS_ORIGINS } from '../../client/commands/codec-server';
import { DEFAULT_CORS_ORIGINS } from '../../codec/codec-server';

const ROOT = resolve(__dirname, '../..');

/** The packages (node_modules/<name>) a fresh process has loaded after `script`. */
async function packagesLoadedBy(script: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-r', 'tsx/cjs', '-e', `${script}; console.log(JSON.stringify(Object.keys(require.cache)))`],
    { cwd: ROOT },
  );
  const files = JSON.parse(stdout) as string[];
  const names = files
    .map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1])
    .filter((n): n is string => n !== undefined && n !== 'tsx' && n !== 'esbuild');
  return [...new Set(names)].sort();
}

describe('clo start-up', () => {
  it('defines every command (what --help prints) loading commander only', async () => {
    const loaded = await packagesLoadedBy(
      "const { buildProgram } = require('./client/cli'); buildProgram().helpInformation()",
    );
    expect(loaded).toEqual(['commander']);
  });

  it('loads the Temporal client when a command that needs it runs', async () => {
    // The check above can fail: loading an action's modules shows up in the same list.
    const loaded = await packagesLoadedBy("require('./client/connection')");
    expect(loaded).toEqual(expect.arrayContaining(['@temporalio/client', 'zod']));
  });

  it('shows the codec server’s real default CORS origins in its help', () => {
    expect(HELP_CORS_ORIGINS).toEqual([...DEFAULT_CORS_ORIGINS]);
  });
});
