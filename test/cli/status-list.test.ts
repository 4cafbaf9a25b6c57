/**
 * `clo status`, `clo list` and `clo cancel` against real upload sagas on the simulator,
 * with transfers slowed by a throttling proxy so one can be watched and cancelled mid-file.
 * `clo` runs in this process (`cli`), and as a real process for the exit codes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import type { WorkflowProgress, WorkflowSummary } from '../../client/executions';
import { startUpload } from '../../client/upload';
import { writeRandomFile } from '../fixtures/content';
import { clo, cloEnv, cloInProcess } from '../support/clo';
import { createTestLibrary, restClient } from '../support/library';
import { startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

const sleep = async (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('clo status, list and cancel', () => {
  let target: Target;
  let proxy: ThrottleProxy;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = async (args: string[]) => cloInProcess(args, env);

  beforeAll(async () => {
    target = await startTarget('simulator');
    proxy = await startThrottleProxy(target.url, 1024 * 1024 * 1024);
    const config = testConfig({
      target: { url: target.url, username: 'user', password: 'pass', transferUrl: proxy.url },
    });
    worker = await startTestWorker(config);
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-status-'));
    env = await cloEnv(config, dir);
  });
  afterAll(async () => {
    await worker?.stop();
    await proxy?.close();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (name: string, path: string) =>
    startUpload(
      worker.client,
      { vcenter: 'target', library: { id: library.id }, item: { name }, source: { kind: 'file', path } },
      { taskQueue: worker.taskQueue },
    );
  const listJson = async (args: string[]): Promise<WorkflowSummary[]> => {
    const run = await cli(['list', '--json', ...args]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(run.stdout) as WorkflowSummary[];
  };

  it('shows a running upload (phase, session, per-file bytes, throughput, ETA), lists it as running, and cancels it', async () => {
    // Far bigger than the loopback socket buffers, so the heartbeat's bytes are mid-file.
    const file = await writeRandomFile(join(dir, 'slow.iso'), 32 * 1024 * 1024, 'slow');
    proxy.setRate(1024 * 1024);
    const name = `slow-${randomUUID().slice(0, 6)}`;
    const handle = await upload(name, file.path);
    let session = '';
    let itemId = '';
    while (!session) {
      await sleep(50);
      [itemId = ''] = await rest.findLibraryItems({ library_id: library.id, name });
      const live = target
        .sim!.stats.sessions()
        .find((s) => s.library_item_id === itemId && s.kind === 'update' && s.state === 'ACTIVE');
      // Two seconds in: the transfer has heartbeated its bytes at least once since it began.
      if (live && target.sim!.stats.bytesReceived(live.id) > 2 * 1024 * 1024) session = live.id;
    }

    const json = await cli(['status', handle.workflowId, '--json']);
    const text = await cli(['status', handle.workflowId]);
    expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 0, stderr: '' });
    const progress = JSON.parse(json.stdout) as WorkflowProgress;
    expect(progress).toMatchObject({
      workflowId: handle.workflowId,
      type: 'uploadLibraryItem',
      status: 'RUNNING',
      phase: 'transferring',
      sessionId: session,
      sessionIds: [session],
      itemId,
      libraryId: library.id,
      totalBytes: file.size,
      files: [expect.objectContaining({ name: 'slow.iso', size: file.size, state: 'transferring' })],
    });
    // Live bytes come from the transfer's heartbeat, not only from finished files.
    expect(progress.bytesDone).toBeGreaterThan(0);
    expect(progress.bytesDone).toBeLessThan(file.size);
    expect(progress.throughput).toBeGreaterThan(0);
    expect(progress.etaSeconds).toBeGreaterThan(0);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('status    RUNNING, phase transferring');
    expect(text.stdout).toContain(`session   ${session}`);
    expect(text.stdout).toMatch(/\[#*\.+\]\s+\d+%\s+slow\.iso/);
    expect(text.stdout).toMatch(/total .* \d+(\.\d)? (KiB|MiB)\/s.*, ETA \d+/);

    const running = await listJson(['--state', 'running', '--type', 'upload', '--item', itemId]);
    expect(running).toEqual([
      expect.objectContaining({
        workflowId: handle.workflowId,
        status: 'RUNNING',
        phase: 'transferring',
        sessionIds: [session],
      }),
    ]);

    const cancelled = await cli(['cancel', handle.workflowId, '--wait', '--json']);
    expect({ code: cancelled.code, stderr: cancelled.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(cancelled.stdout)).toMatchObject({
      workflowId: handle.workflowId,
      status: 'CANCELLED',
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(target.sim!.stats.sessions().find((s) => s.id === session)?.state).toBe('CANCELED');

    const again = await cli(['cancel', handle.workflowId]);
    expect(again.code).toBe(4); // conflict: it has ended (client/exit-codes.ts)
    expect(again.stderr.trim()).toBe(
      `clo: workflow ${handle.workflowId} is not running (CANCELLED); nothing to cancel`,
    );
    proxy.setRate(1024 * 1024 * 1024);
  });

  it('lists finished uploads as JSON and as a table, filtered by library, type and state', async () => {
    const file = await writeRandomFile(join(dir, 'quick.iso'), 64 * 1024, 'quick');
    const handle = await upload(`quick-${randomUUID().slice(0, 6)}`, file.path);
    await handle.result();
    // Visibility trails the close by a moment.
    let mine: WorkflowSummary[] = [];
    for (
      let i = 0;
      i < 50 && !mine.some((w) => w.workflowId === handle.workflowId && w.status === 'COMPLETED');
      i++
    ) {
      if (i) await sleep(100);
      mine = await listJson(['--library', library.id, '--state', 'completed']);
    }
    expect(mine.find((w) => w.workflowId === handle.workflowId)).toMatchObject({
      type: 'uploadLibraryItem',
      status: 'COMPLETED',
      phase: 'done',
      vcenter: 'target',
      libraryId: library.id,
    });
    const downloads = await listJson(['--library', library.id, '--type', 'download']);
    const failed = await listJson(['--library', `id:${library.id}`, '--state', 'failed']);
    const limited = await listJson(['--library', library.id, '--limit', '1']);
    const table = await cli(['list', '--library', library.id]);
    expect(downloads).toEqual([]);
    expect(failed).toEqual([]);
    expect(limited).toHaveLength(1);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^WORKFLOW ID\s+TYPE\s+STATUS\s+PHASE\s+STARTED\s+CLOSED\s+ITEM$/,
    );
    expect(table.stdout).toContain(handle.workflowId);
  });

  it('exits 3 with one line for a workflow that does not exist, and 2 for a bad filter', async () => {
    const id = `upload/none/${randomUUID()}`;
    // One real process, for the exit code as a shell sees it; the rest in this process.
    const runs = [await clo(['status', id], env)];
    for (const args of [
      ['status', id, '--json'],
      ['cancel', id],
      ['list', '--state', 'sleeping'],
      ['list', '--type', 'teleport', '--json'],
      ['list', '--limit', '0'],
    ]) {
      runs.push(await cli(args));
    }
    expect(runs.map((r) => r.code)).toEqual([3, 3, 3, 2, 2, 2]);
    for (const r of runs.slice(0, 3)) expect(r.stderr).toBe(`clo: no workflow with id ${id}\n`);
    expect(runs[3]!.stderr).toBe(
      'clo: --state: expected one of running, completed, failed, canceled, terminated, timed-out, continued-as-new (got sleeping)\n',
    );
  });
});
