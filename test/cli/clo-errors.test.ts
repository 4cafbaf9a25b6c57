/**
 * Issue #12, "errors that name the cause", through the real CLI: one case per exit-code class
 * (client/exit-codes.ts), each asserting the one line on stderr (the root cause's type and
 * message, with the saga's phase and failing step), the exit code, the `--json` error object on
 * stdout, and for some `--debug`'s chain. Quick cases run in this process one after another
 * (cloInProcess); the slow ones (a cancel, a time budget, an unreachable Temporal) run as clo
 * processes beside them. One worker serves every case.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { EXIT } from '../../client/exit-codes';
import { startUpload, uploadWorkflowId } from '../../client/upload';
import { PHASE } from '../../workflows/definitions/search-attributes';
import { writeRandomFile } from '../fixtures/content';
import { clo, cloEnv, cloInProcess, type CloRun } from '../support/clo';
import { createTestLibrary, restClient, seedItem } from '../support/library';
import { waitFor } from '../support/polling';
import { startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

/** A stream-optimized VMDK (header, descriptor, then `data` bytes): vcsim keeps only its descriptor. */
function streamOptimizedVmdk(data: number): Buffer {
  const header = Buffer.alloc(512);
  header.writeUInt32LE(0x564d444b, 0); // "KDMV"
  header.writeUInt32LE(3, 4);
  header.writeUInt32LE(0x30001, 8); // valid newline test, compressed grains, markers
  header.writeBigInt64LE(2048n, 12); // capacity in sectors
  header.writeBigUInt64LE(128n, 20); // grain size
  header.writeBigUInt64LE(1n, 28); // descriptor offset
  header.writeBigUInt64LE(1n, 36); // descriptor size
  const descriptor = Buffer.alloc(512);
  descriptor.write(
    [
      '# Disk DescriptorFile',
      'version=1',
      'CID=fffffffe',
      'parentCID=ffffffff',
      'createType="streamOptimized"',
      'RW 2048 SPARSE "disk.vmdk"',
      'ddb.adapterType = "lsilogic"',
      '',
    ].join('\n'),
  );
  return Buffer.concat([header, descriptor, Buffer.alloc(data, 7)]);
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

interface JsonError {
  error: {
    type: string;
    class: string;
    exitCode: number;
    message: string;
    workflowId: string | null;
    runId: string | null;
    workflowType: string | null;
    phase: string | null;
    step: string | null;
    chain?: Array<{ name: string; type: string; message: string; step?: string; stack?: string }>;
  };
}

/** The `clo: ` lines of stderr: without --debug there must be exactly one. */
const cloLines = (run: CloRun) => run.stderr.split('\n').filter((l) => l.startsWith('clo: '));

describe('clo errors: the root cause, its exit code, --json and --debug', () => {
  let sim: Target;
  let broken: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let simLibrary: { id: string; name: string };
  let brokenLibrary: { id: string; name: string };
  let vcsimLibrary: { id: string; name: string };
  let seeded: string;
  let vmdkItem: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-errors-'));
    [sim, broken] = await Promise.all([startTarget('simulator'), startTarget('simulator')]);
    const config = testConfig({
      sim: { url: sim.url, username: 'user', password: 'pass' },
      broken: { url: broken.url, username: 'user', password: 'pass' },
    });
    worker = await startTestWorker(config);
    env = await cloEnv(config, dir);
    rest = restClient(sim.url);
    const brokenRest = restClient(broken.url);
    const vcsimRest = restClient(stackInfo().vcsim.url);
    [simLibrary, brokenLibrary, vcsimLibrary] = await Promise.all([
      createTestLibrary(rest, sim.datastore, 'errors'),
      createTestLibrary(brokenRest, broken.datastore, 'errors'),
      createTestLibrary(vcsimRest, stackInfo().vcsim.datastore, 'errors'),
    ]);
    seeded = `seeded-${randomUUID().slice(0, 6)}`;
    await seedItem(rest, simLibrary.id, seeded, [{ name: 'data.bin', size: 4096, seed: 'errors' }]);
    // vcsim stores a .vmdk as descriptor + flat file and serves only the descriptor back.
    const vmdk = join(dir, 'disk.vmdk');
    await writeFile(vmdk, streamOptimizedVmdk(64 * 1024));
    vmdkItem = `vmdk-${randomUUID().slice(0, 6)}`;
    await (
      await startUpload(
        worker.client,
        {
          vcenter: 'vcsim',
          library: { id: vcsimLibrary.id },
          item: { name: vmdkItem },
          source: { kind: 'file', path: vmdk },
        },
        { taskQueue: worker.taskQueue },
      )
    ).result();
    await Promise.all([brokenRest.close(), vcsimRest.close()]);
  });
  afterAll(async () => {
    await worker?.stop();
    await rest?.close();
    await Promise.all([sim?.close(), broken?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // cloInProcess swaps process-wide console and environment: one call at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const inProcess = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CloRun> => {
    const run = queue.then(async () => cloInProcess(args, { ...env, ...extraEnv }));
    queue = run.catch(() => undefined);
    return await run;
  };
  const download = (library: string, item: string, dest: string, ...extra: string[]) => [
    'download',
    '--library',
    library,
    '--item',
    item,
    '--dest',
    dest,
    '--wait',
    ...extra,
  ];

  it.concurrent(
    '2 invalid input: a destination that is a file, with --json naming the workflow and phase',
    async () => {
      const dest = join(dir, 'a-file');
      await writeFile(dest, 'not a directory');
      const run = await inProcess([...download(simLibrary.name, seeded, dest, '--vcenter', 'sim'), '--json']);
      expect(run.code).toBe(EXIT.BAD_INPUT);
      expect(cloLines(run)).toEqual([
        expect.stringMatching(
          /^clo: the workflow failed: DestinationInvalid: destination \S+a-file is not a directory\b.*\(phase: planning, step: \w+\)$/,
        ),
      ]);
      const { error } = JSON.parse(run.stdout) as JsonError;
      expect(error).toEqual({
        type: 'DestinationInvalid',
        class: 'invalid-input',
        exitCode: 2,
        message: expect.stringMatching(/^destination \S+a-file is not a directory/),
        workflowId: expect.stringMatching(/^download\/sim\//),
        runId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        workflowType: 'downloadLibraryItem',
        phase: 'planning',
        step: expect.any(String),
      });
    },
  );

  it.concurrent('2 invalid input: a vCenter the worker does not know', async () => {
    const run = await inProcess(
      download(simLibrary.name, seeded, join(dir, 'nosuch'), '--vcenter', 'nosuch'),
    );
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(cloLines(run)).toEqual([
      expect.stringMatching(
        /^clo: the workflow failed: ConfigError: vCenter "nosuch" is not configured; configured: vcsim, sim, broken/,
      ),
    ]);
  });

  it.concurrent('3 not found: a library that does not exist, and a workflow id that does not', async () => {
    const file = await writeRandomFile(join(dir, 'up.iso'), 1024, 'nf');
    const run = await inProcess([
      'upload',
      file.path,
      '--library',
      'x',
      '--item',
      'i',
      '--vcenter',
      'sim',
      '--wait',
    ]);
    expect(run.code).toBe(EXIT.NOT_FOUND);
    expect(cloLines(run)).toEqual([
      expect.stringMatching(
        /^clo: the workflow failed: LibraryNotFound: no library named "x" on vCenter "sim"; create it first \(phase: planning, step: \w+\)$/,
      ),
    ]);
    // As a process: its own start-up path, beside the in-process queue.
    const status = await clo(['status', 'no/such/workflow', '--json'], env);
    expect({ code: status.code, lines: cloLines(status) }).toEqual({
      code: EXIT.NOT_FOUND,
      lines: ['clo: no workflow with id no/such/workflow'],
    });
    expect((JSON.parse(status.stdout) as JsonError).error).toMatchObject({
      type: 'NotFoundError',
      class: 'not-found',
      exitCode: 3,
      workflowId: null,
      phase: null,
    });
  });

  it.concurrent('4 conflict: a file that exists without --overwrite', async () => {
    const dest = join(dir, 'exists');
    await mkdir(dest);
    await writeFile(join(dest, 'data.bin'), 'mine');
    const run = await inProcess(download(simLibrary.name, seeded, dest, '--vcenter', 'sim'));
    expect(run.code).toBe(EXIT.CONFLICT);
    expect(cloLines(run)).toEqual([
      expect.stringMatching(
        /^clo: the workflow failed: FileExists: \S+data\.bin already exists\b.*; set overwrite: true \(clo download --overwrite\) to replace it/,
      ),
    ]);
  });

  it.concurrent("5 not allowed: a destination outside the worker's write roots", async () => {
    const dest = `/var/tmp/clo-errors-${randomUUID().slice(0, 6)}`;
    const run = await inProcess(download(simLibrary.name, seeded, dest, '--vcenter', 'sim'));
    expect(run.code).toBe(EXIT.NOT_ALLOWED);
    expect(cloLines(run)).toEqual([
      expect.stringMatching(
        /^clo: the workflow failed: PathNotAllowed: destination \S+ is not allowed: .*outside the worker's write roots.*CLO_WRITE_ROOTS/,
      ),
    ]);
  });

  it.concurrent('6 unavailable: Temporal refuses the connection; --debug adds the stack', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const run = await clo(['--debug', 'status', 'any', '--json'], { ...env, TEMPORAL_ADDRESS: address });
    expect(run.code).toBe(EXIT.UNAVAILABLE);
    expect(cloLines(run)).toEqual([
      `clo: cannot reach Temporal at ${address} (connection refused: ECONNREFUSED); start a local server with \`clo dev\`, or point clo at yours with TEMPORAL_ADDRESS (or temporal.address in CLO_CONFIG_FILE)`,
    ]);
    // --debug: the chain, with this process's stack for an error raised here.
    expect(run.stderr).toMatch(/\n {2}TemporalUnreachableError: cannot reach Temporal[^\n]*\n {4}at /);
    const { error } = JSON.parse(run.stdout) as JsonError;
    expect(error).toMatchObject({ type: 'TemporalUnreachableError', class: 'unavailable', exitCode: 6 });
    expect(error.chain?.[0]?.stack).toMatch(/connectClient|refuseDeadAddress/);
  });

  it.concurrent('7 transfer failed: a vcsim .vmdk that downloads short, with the --debug chain', async () => {
    const dest = join(dir, 'vmdk');
    const run = await inProcess([
      '--debug',
      ...download(vcsimLibrary.name, vmdkItem, dest, '--vcenter', 'vcsim', '--json'),
    ]);
    expect(run.code).toBe(EXIT.TRANSFER_FAILED);
    expect(cloLines(run)).toEqual([
      expect.stringMatching(
        /^clo: the workflow failed: SizeMismatch: disk\.vmdk: downloaded \d+ bytes, but the server says the file has 65536 \(phase: transferring, step: \w+\)$/,
      ),
    ]);
    // --debug: every link, outermost first; a stack only for what was raised in this process.
    expect(run.stderr).toMatch(
      /\n {2}WorkflowFailedError: Workflow execution failed\n {4}at [\s\S]*\n {4}ActivityFailure \[\w+\]: [^\n]*\n {6}ApplicationFailure SizeMismatch \(non-retryable\): disk\.vmdk: downloaded/,
    );
    const { error } = JSON.parse(run.stdout) as JsonError;
    expect(error).toMatchObject({
      type: 'SizeMismatch',
      class: 'transfer-failed',
      exitCode: 7,
      workflowType: 'downloadLibraryItem',
      phase: 'transferring',
    });
    expect(error.chain?.map((l) => l.name)).toEqual([
      'WorkflowFailedError',
      'ActivityFailure',
      'ApplicationFailure',
    ]);
    expect(error.chain?.[2]).not.toHaveProperty('stack');
  });

  it.concurrent('8 cancelled: a saga cancelled while it transfers', async () => {
    const file = await writeRandomFile(join(dir, 'cancel.iso'), 64 * 1024, 'cancel');
    const item = `cancel-${randomUUID().slice(0, 6)}`;
    // The PUT hangs: the saga stays in transferring until it is cancelled.
    const hang = sim.sim!.faults.addLatency({ operation: 'transfer.put', ms: 30_000 });
    try {
      const running = clo(
        [
          'upload',
          file.path,
          '--library',
          simLibrary.name,
          '--item',
          item,
          '--vcenter',
          'sim',
          '--wait',
          '--json',
        ],
        env,
      );
      const handle = worker.client.workflow.getHandle(
        uploadWorkflowId({ vcenter: 'sim', library: { name: simLibrary.name }, item: { name: item } }),
      );
      await waitFor(
        'the upload to transfer',
        async () => {
          const info = await handle.describe().catch(() => undefined);
          return info?.typedSearchAttributes.get(PHASE) === 'transferring';
        },
        20_000,
      );
      await handle.cancel();
      const run = await running;
      expect(run.code).toBe(EXIT.CANCELLED);
      expect(cloLines(run)).toEqual([
        expect.stringMatching(/^clo: the workflow was cancelled \(phase: transferring\)$/),
      ]);
      expect((JSON.parse(run.stdout) as JsonError).error).toMatchObject({
        type: 'CancelledFailure',
        class: 'cancelled',
        exitCode: 8,
        workflowId: handle.workflowId,
        phase: 'transferring',
      });
    } finally {
      hang.clear();
    }
  });

  it.concurrent('9 timed out: an upload past its time budget, which clo attached to', async () => {
    const file = await writeRandomFile(join(dir, 'budget.iso'), 64 * 1024, 'budget');
    const item = `budget-${randomUUID().slice(0, 6)}`;
    const hang = sim.sim!.faults.addLatency({ operation: 'transfer.put', ms: 30_000 });
    try {
      // clo cannot set a time budget; a platform service can, and clo attaches to the same request.
      const input = {
        vcenter: 'sim',
        library: { name: simLibrary.name },
        item: { name: item },
        source: { kind: 'file' as const, path: file.path },
        options: { timeBudgetMs: 12_000 },
      };
      await startUpload(worker.client, input, { taskQueue: worker.taskQueue });
      const run = await clo(
        ['upload', file.path, '--library', simLibrary.name, '--item', item, '--vcenter', 'sim', '--wait'],
        env,
      );
      expect(run.code).toBe(EXIT.TIMED_OUT);
      expect(cloLines(run)).toEqual([
        'clo: the workflow failed: TimeBudgetExceeded: upload did not finish within its time budget of 12000 ms (phase: transferring)',
      ]);
    } finally {
      hang.clear();
    }
  });

  it.concurrent('1 failure: an answer from vCenter that fits no class', async () => {
    broken.sim!.faults.failNext({ operation: 'library.find', kind: 'canceled', status: 418 });
    const run = await inProcess(
      download(brokenLibrary.name, 'x', join(dir, 'teapot'), '--vcenter', 'broken'),
    );
    expect(run.code).toBe(EXIT.FAILURE);
    expect(cloLines(run)).toEqual([
      expect.stringMatching(
        /^clo: the workflow failed: UnexpectedResponseError: .*418.* \(phase: planning, step: \w+\)$/,
      ),
    ]);
  });
});
