/**
 * Issue #12, the CLI tried as a new user would (session 15's audit): wrong inputs and broken
 * environments that used to answer with the wrong exit code, a misleading or raw message, or a
 * process that stayed up. Each case runs clo as a user does and asserts the exit code and the
 * one line on stderr. Quick cases run in this process (cloInProcess); the ones about a process
 * ending (clo worker) run as processes. No worker is needed: nothing here runs a saga.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { EXIT } from '../../client/exit-codes';
import { cloEnv, cloInProcess, type CloRun } from '../support/clo';
import { testConfig } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

const CLO = resolve(__dirname, '../../bin/clo');

/** The `clo: ` lines of stderr: there must be exactly one. */
const cloLines = (run: CloRun) => run.stderr.split('\n').filter((l) => l.startsWith('clo: '));

/** `clo ...args` as a process; `running` is true when it had not exited after `limitMs` (then killed). */
async function cloProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  limitMs: number,
): Promise<CloRun & { running: boolean }> {
  const child = spawn(process.execPath, [CLO, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let running = false;
  const timer = setTimeout(() => {
    running = true;
    child.kill('SIGKILL');
  }, limitMs);
  const code = await new Promise<number>((done) => child.once('exit', (c) => done(c ?? -1)));
  clearTimeout(timer);
  return { code, stdout, stderr, running };
}

describe('clo audit: wrong inputs and broken environments', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let connection: Connection;
  let client: Client;
  let busy: Server;
  let busyPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-audit-'));
    env = await cloEnv(testConfig(), dir);
    connection = await Connection.connect({ address: stackInfo().temporalAddress });
    client = new Client({ connection, namespace: stackInfo().namespace });
    busy = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await connection?.close();
    await new Promise((done) => busy?.close(done));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // cloInProcess swaps process-wide console and environment: one call at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const inProcess = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CloRun> => {
    const run = queue.then(async () => cloInProcess(args, { ...env, ...extraEnv }));
    queue = run.catch(() => undefined);
    return await run;
  };

  it('clo dev refuses a busy or bad port before starting anything (it used to report the stack up on the server already there)', async () => {
    const dataDir = join(dir, 'dev');
    const run = await inProcess(['dev', '--port', String(busyPort), '--data-dir', dataDir]);
    expect({ code: run.code, lines: cloLines(run) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: [
        `clo: --port ${busyPort}: something already listens on 127.0.0.1:${busyPort} (another \`clo dev\`?); stop it, or start the Temporal frontend on another port with --port <port>`,
      ],
    });
    // Nothing started, nothing written.
    await expect(access(dataDir)).rejects.toThrow();
    const bad = await inProcess(['dev', '--ui-port', 'abc', '--data-dir', dataDir]);
    expect({ code: bad.code, lines: cloLines(bad) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: ['clo: --ui-port: expected a TCP port from 1 to 65535 (got "abc")'],
    });
  });

  it('cancel of a workflow that ended, and a schedule name taken, are conflicts (4), not failures (1)', async () => {
    const workflowId = `audit/${randomUUID()}`;
    // A task queue nobody polls: the run only has to exist and end.
    const handle = await client.workflow.start('uploadLibraryItem', {
      workflowId,
      taskQueue: `nobody-${randomUUID()}`,
      args: [{}],
    });
    await handle.terminate('audit');
    const run = await inProcess(['cancel', workflowId, '--json']);
    expect({ code: run.code, lines: cloLines(run) }).toEqual({
      code: EXIT.CONFLICT,
      lines: [`clo: workflow ${workflowId} is not running (TERMINATED); nothing to cancel`],
    });
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { type: 'ConflictError', class: 'conflict' } });

    const name = `audit-${randomUUID().slice(0, 8)}`;
    const create = ['schedule', 'create', name, '--every', '1h', '--paused'];
    const sync = ['--', '--source', '/srv/isos', '--library', 'isos'];
    try {
      expect((await inProcess([...create, ...sync])).code).toBe(EXIT.OK);
      const again = await inProcess([...create, '--json', ...sync]);
      expect({ code: again.code, lines: cloLines(again) }).toEqual({
        code: EXIT.CONFLICT,
        lines: [`clo: a schedule named ${name} already exists`],
      });
      expect(JSON.parse(again.stdout)).toMatchObject({ error: { class: 'conflict', exitCode: 4 } });
    } finally {
      await client.schedule
        .getHandle(name)
        .delete()
        .catch(() => undefined);
    }
  });

  it("--json with a usage error: the JSON's exit code and class are the process's (2, invalid-input)", async () => {
    const run = await inProcess(['upload', join(dir, 'x.iso'), '--item', 'x', '--json']);
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(JSON.parse(run.stdout)).toEqual({
      error: expect.objectContaining({
        type: 'CommanderError',
        class: 'invalid-input',
        exitCode: 2,
        message: "required option '--library <name|id:ID>' not specified",
      }),
    });
  });

  it('a source URL of another scheme is refused as such, not read as a path under the working directory', async () => {
    const upload = await inProcess(['upload', 'ftp://host/x.iso', '--library', 'l', '--item', 'i']);
    expect({ code: upload.code, lines: cloLines(upload) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: [
        'clo: source ftp://host/x.iso: ftp:// is not supported; give an https:// (or, with --allow-plain-http, http://) URL the vCenter can pull, or a file on the worker host',
      ],
    });
    const sync = await inProcess(['sync', '--source', 'ftp://host/isos', '--library', 'l']);
    expect({ code: sync.code, lines: cloLines(sync) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: [
        'clo: --source ftp://host/isos: ftp:// is not supported; give an https:// (or, with --allow-plain-http, http://) index URL, library:<name>, vcenter:<name>/library:<name> or a catalog directory',
      ],
    });
    const missing = join(dir, 'no-catalog');
    const absent = await inProcess(['sync', '--source', missing, '--library', 'l']);
    expect({ code: absent.code, lines: cloLines(absent) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: [
        `clo: ${missing} does not exist; --source names the catalog directory, a library or an index URL`,
      ],
    });
  });

  it('a config file with a misspelt key inside a section, or no file at all, is refused naming it', async () => {
    const file = join(dir, 'typo.json');
    await writeFile(
      file,
      JSON.stringify({
        temporal: { address: stackInfo().temporalAddress },
        vcenters: {
          lab: { url: 'https://vc.example.com', username: 'u', password: 'p', maxConcurrentTransfer: 2 },
        },
      }),
    );
    const run = await inProcess(['list'], { CLO_CONFIG_FILE: file });
    expect({ code: run.code, lines: cloLines(run) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: [
        `clo: ${file}: unknown key "vcenters.lab.maxConcurrentTransfer"; expected url, username, password, passwordFile, transferUrl, allowPlainHttp, apiFlavor, maxConcurrentTransfers, tls`,
      ],
    });
    const none = join(dir, 'none.json');
    const missing = await inProcess(['list'], { CLO_CONFIG_FILE: none });
    expect({ code: missing.code, lines: cloLines(missing) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: [
        `clo: CLO_CONFIG_FILE=${none}: cannot read it: no such file; point it at your clo config file (\`clo dev\` prints its own), or unset it`,
      ],
    });
  });

  const namespaceFix =
    'set TEMPORAL_NAMESPACE (temporal.namespace in CLO_CONFIG_FILE) to one the server has, or create it: `temporal operator namespace create <name>`';

  it('a namespace the server lacks is a configuration error naming TEMPORAL_NAMESPACE', async () => {
    const run = await inProcess(['list'], { TEMPORAL_NAMESPACE: 'no-such-namespace' });
    expect({ code: run.code, lines: cloLines(run) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: [`clo: Namespace not found: 'no-such-namespace'; ${namespaceFix}`],
    });
  });

  it.concurrent(
    'clo worker: an unreachable Temporal is named like the other commands name it, and a missing namespace ends the process',
    async () => {
      // A port nothing listens on: refused at once.
      const closed = createServer();
      await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
      const closedPort = (closed.address() as { port: number }).port;
      await new Promise((done) => closed.close(done));
      const bundle = { CLO_WORKFLOW_BUNDLE: stackInfo().workflowBundlePath };
      const [refused, namespace] = await Promise.all([
        cloProcess(['worker'], { ...env, ...bundle, TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}` }, 30_000),
        cloProcess(['worker'], { ...env, ...bundle, TEMPORAL_NAMESPACE: 'no-such-namespace' }, 30_000),
      ]);
      expect({ code: refused.code, lines: cloLines(refused) }).toEqual({
        code: EXIT.UNAVAILABLE,
        lines: [
          `clo: cannot reach Temporal at 127.0.0.1:${closedPort} (connection refused: ECONNREFUSED); start a local server with \`clo dev\`, or point clo at yours with TEMPORAL_ADDRESS (or temporal.address in CLO_CONFIG_FILE)`,
        ],
      });
      expect({ running: namespace.running, code: namespace.code, lines: cloLines(namespace) }).toEqual({
        running: false,
        code: EXIT.BAD_INPUT,
        lines: [`clo: Namespace not found: 'no-such-namespace'; ${namespaceFix}`],
      });
    },
    60_000,
  );
  it('clo deployment set-current names a Worker Deployment that does not exist as not found (exit 3)', async () => {
    const name = `nosuch-${randomUUID().slice(0, 8)}`;
    const run = await inProcess(['deployment', 'set-current', '--build-id', 'b1', '--deployment-name', name]);
    expect({ code: run.code, lines: cloLines(run) }).toEqual({
      code: EXIT.NOT_FOUND,
      lines: [
        expect.stringMatching(
          /^clo: set-current b1 in Worker Deployment ".*": no Worker Deployment.*check --deployment-name, or start its workers first$/,
        ),
      ],
    });
  });
  it('clo demo --address with no port names --address, not TEMPORAL_ADDRESS', async () => {
    const run = await inProcess(['demo', '--address', 'nonsense']);
    expect({ code: run.code, lines: cloLines(run) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: ['clo: --address nonsense: expected host:port, e.g. 127.0.0.1:7233'],
    });
  });
  it('refuses what would be silently useless: a reaper schedule for an unconfigured vCenter, an approval timeout with nothing to approve', async () => {
    const reaper = await inProcess([
      'schedule',
      'create-reaper',
      '--vcenter',
      'nope',
      '--name',
      `r-${randomUUID().slice(0, 6)}`,
    ]);
    expect({ code: reaper.code, lines: cloLines(reaper) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: [expect.stringMatching(/^clo: .*vCenter "nope" is not configured; configured: vcsim/)],
    });
    const file = join(dir, 'a.iso');
    await writeFile(file, 'x');
    const timeout = await inProcess([
      'upload',
      file,
      '--library',
      'l',
      '--item',
      'i',
      '--vcenter',
      'vcsim',
      '--approval-timeout',
      '1h',
    ]);
    expect({ code: timeout.code, lines: cloLines(timeout) }).toEqual({
      code: EXIT.BAD_INPUT,
      lines: [
        'clo: --approval-timeout 1h: only applies with --warnings await-approval (the upload then waits that long for clo approve/reject)',
      ],
    });
  });
});
