/** Runs the real `clo` executable for CLI tests, and writes the config file it reads. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { CloConfig } from '../../temporal.config';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

const CLO = resolve(__dirname, '../../bin/clo');

export interface CloRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `clo ...args` with `env` added to this process's environment. */
export async function clo(args: string[], env: NodeJS.ProcessEnv): Promise<CloRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLO, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Writes `config` to `dir/clo.json` and returns the environment that points clo at it. */
export async function cloEnv(config: CloConfig, dir: string): Promise<NodeJS.ProcessEnv> {
  const file = join(dir, 'clo.json');
  await writeFile(file, JSON.stringify({ temporal: config.temporal, vcenters: config.vcenters }), {
    mode: 0o600,
  });
  return { CLO_CONFIG_FILE: file };
}

/**
 * The same CLI in this process (`main()` of client/cli.ts), output captured: a tenth of
 * the cost of a process with tsx, for tests that make many calls. Calls must not overlap.
 */
export async function cloInProcess(args: string[], env: NodeJS.ProcessEnv): Promise<CloRun> {
  const { main } = await import('../../client/cli');
  let stdout = '';
  let stderr = '';
  const saved = {
    env: { ...process.env },
    log: console.log,
    error: console.error,
    out: process.stdout.write,
    err: process.stderr.write,
  };
  Object.assign(process.env, env);
  console.log = (...parts: unknown[]) => void (stdout += `${parts.map(String).join(' ')}\n`);
  console.error = (...parts: unknown[]) => void (stderr += `${parts.map(String).join(' ')}\n`);
  process.stdout.write = (chunk: string | Uint8Array) => ((stdout += chunk.toString()), true);
  process.stderr.write = (chunk: string | Uint8Array) => ((stderr += chunk.toString()), true);
  try {
    const code = await main(['node', 'clo', ...args]);
    return { code, stdout, stderr };
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    for (const key of Object.keys(env)) {
      if (saved.env[key] === undefined) delete process.env[key];
      else process.env[key] = saved.env[key];
    }
  }
}

/** What a CLI test needs: a scratch directory, a worker on the stack, and the env that points clo at it. */
export interface CliFixture {
  dir: string;
  worker: TestWorker;
  env: NodeJS.ProcessEnv;
}

/** Registers beforeAll/afterAll that set up and tear down a {@link CliFixture}; read its fields inside tests. */
export function cliFixture(prefix: string): CliFixture {
  const fixture = {} as CliFixture;
  beforeAll(async () => {
    fixture.dir = await mkdtemp(join(tmpdir(), prefix));
    const config = testConfig();
    fixture.worker = await startTestWorker(config);
    fixture.env = await cloEnv(config, fixture.dir);
  });
  afterAll(async () => {
    await fixture.worker?.stop();
    if (fixture.dir) await rm(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}
