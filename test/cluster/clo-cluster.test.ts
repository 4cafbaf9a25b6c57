/**
 * The README's cluster path, as a person runs it: `clo cluster up` in a directory of its own,
 * the three `clo worker` commands it prints (run as printed, through a shell), the demo
 * command it prints, `clo cluster status`, `clo cluster down`; then nothing it started is
 * left running. Slow (a cluster of its own starts and stops): one test, every step checked.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../client/dev-stack';
import { listening } from '../../client/cluster/processes';
import { waitFor } from '../support/polling';

const ROOT = resolve(__dirname, '../..');
const CLO = join(ROOT, 'bin', 'clo');

interface Run {
  code: number;
  out: string;
}

/** `node bin/clo ...args` from the repository root, as the README runs it; stdout and stderr together. */
async function clo(args: string[], timeoutMs = 300_000): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLO, ...args], {
      cwd: ROOT,
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

/** Fails with the command's whole output when it did not exit 0. */
function ok(run: Run, what: string): string {
  if (run.code !== 0) throw new Error(`${what} exited ${run.code}:\n${run.out}`);
  return run.out;
}

interface Shell {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * A printed `VAR=... node bin/clo worker` line through `sh -c`, the shell replaced by the worker
 * (`VAR=... exec node ...`) so that a signal and the exit status are the worker's own, as at a
 * terminal; in a process group of its own, stopped as a group. The cluster run's prebuilt
 * workflow bundle, when there is one, spares three webpack builds at once (CLO_WORKFLOW_BUNDLE,
 * a documented worker setting).
 */
function runWorkerLine(line: string): Shell {
  if (!line.includes(' node ')) throw new Error(`not a worker command: ${line}`);
  const bundle = process.env.CLO_TEST_CLUSTER
    ? (JSON.parse(process.env.CLO_TEST_CLUSTER) as { workflowBundlePath?: string }).workflowBundlePath
    : undefined;
  const child = spawn('sh', ['-c', line.replace(' node ', ' exec node ')], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CLO_LOG_LEVEL: 'info', ...(bundle ? { CLO_WORKFLOW_BUNDLE: bundle } : {}) },
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => out, exited };
}

/** Whether `pid` is gone (or a zombie nobody reaped: it runs nothing and holds no port). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

interface StatusJson {
  up: boolean;
  frontend?: { ok: boolean };
  processes: { name: string; pid: number; ports: string; alive: boolean }[];
}

describe('clo cluster up, three clo workers, the demo on the cluster, status, down', () => {
  let dir: string;
  const workers: Shell[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-cluster-cli-'));
  });
  afterAll(async () => {
    // A failed step leaves things running: stop them all whatever happened above.
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) process.kill(-w.child.pid!, 'SIGKILL');
    }
    await clo(['cluster', 'down', '--dir', dir]);
    await rm(dir, { recursive: true, force: true });
  });

  it('works as the README says and leaves nothing running', async () => {
    const port = await freePort();
    const vcsimPort = await freePort();
    const upArgs = ['cluster', 'up', '--dir', dir, '--port', String(port), '--vcsim-port', String(vcsimPort)];
    const up = ok(await clo(upArgs, 600_000), 'clo cluster up');
    expect(up).toContain(`clo cluster is up in ${dir}`);
    const config = join(dir, 'clo.json');
    expect(existsSync(config)).toBe(true);

    // What it prints to run next: three workers with host ids a, b, c, and the demo.
    const workerLines = up
      .split('\n')
      .filter((l) => / worker$/.test(l))
      .map((l) => l.trim());
    expect(workerLines).toEqual(
      ['a', 'b', 'c'].map((id) => `CLO_CONFIG_FILE=${config} CLO_HOST_ID=${id} node bin/clo worker`),
    );
    const demoLine = up.split('\n').find((l) => l.includes('npm run demo -- '));
    expect(demoLine?.trim()).toBe(`npm run demo -- --address 127.0.0.1:${port} --config ${config}`);

    // Twice: already up, nothing started.
    expect(ok(await clo(upArgs), 'clo cluster up (again)')).toContain('already up');

    // The demo before any worker polls: refused before it starts anything, naming the command.
    const early = await clo(['demo', ...demoLine!.split(' -- ')[1]!.split(' ')]);
    expect(early.code).toBe(3);
    expect(early.out).toContain(`no worker polls task queue "content-library" on 127.0.0.1:${port}`);
    expect(early.out).toContain(workerLines[0]);

    for (const line of workerLines) workers.push(runWorkerLine(line));
    for (const [i, w] of workers.entries()) {
      await waitFor(
        `worker ${workerLines[i]} to start:\n${w.output()}`,
        () => w.output().includes('"msg":"worker started"') || w.child.exitCode !== null,
        180_000,
      );
      expect(w.child.exitCode).toBeNull();
    }

    // The demo command it printed, minus npm (which would first rebuild dist/ in a shared checkout).
    // ~15 s at load 13; a saga stuck on a failing workflow task would otherwise wait forever.
    const demo = ok(await clo(['demo', ...demoLine!.split(' -- ')[1]!.split(' ')], 300_000), 'the demo');
    expect(demo).toMatch(/workers\s+3 polling content-library/);
    expect(demo).toContain('byte-identical');
    expect(demo).toContain('[5/5]');
    expect(demo).toContain('demo finished; the cluster and the workers keep running');

    const statusText = ok(await clo(['cluster', 'status', '--dir', dir]), 'clo cluster status');
    expect(statusText).toContain(`frontend 127.0.0.1:${port} (namespace default) answers`);
    const status = JSON.parse(
      ok(await clo(['cluster', 'status', '--dir', dir, '--json']), 'status --json'),
    ) as StatusJson;
    expect(status.up).toBe(true);
    expect(status.processes.map((p) => p.name).sort()).toEqual(
      [
        'postgres',
        'temporal frontend',
        'temporal history',
        'temporal matching',
        'temporal worker',
        'vcsim',
      ].sort(),
    );
    for (const p of status.processes) expect(p.alive).toBe(true);

    // The workers stop as a person stops them (Ctrl-C: SIGINT to the foreground group).
    for (const w of workers) process.kill(-w.child.pid!, 'SIGINT');
    for (const w of workers) expect(await w.exited).toBe(0);

    const down = ok(await clo(['cluster', 'down', '--dir', dir]), 'clo cluster down');
    for (const p of status.processes) expect(down).toContain(`${p.name} (pid ${p.pid})`);
    // Nothing is left: every process gone, every port free.
    for (const p of status.processes)
      expect({ name: p.name, gone: gone(p.pid) }).toEqual({ name: p.name, gone: true });
    const postgresPort = Number(status.processes.find((p) => p.name === 'postgres')!.ports);
    for (const free of [port, vcsimPort, postgresPort])
      expect({ port: free, listening: await listening(free) }).toEqual({ port: free, listening: false });

    // Twice: nothing to stop, and status says so.
    expect(ok(await clo(['cluster', 'down', '--dir', dir]), 'clo cluster down (again)')).toContain(
      'nothing runs',
    );
    expect(ok(await clo(['cluster', 'status', '--dir', dir]), 'clo cluster status (after)')).toContain(
      'nothing runs',
    );
  }, 1_500_000);
});
