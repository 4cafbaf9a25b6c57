/**
 * The orphan-session reaper against the Content Library simulator (which enforces one
 * active update session per item, keeps CANCELED sessions and dates expiration_time
 * from the last activity) and once against vcsim.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { ensureTools, startVcsim, type RunningVcsim } from '../../client/dev-stack';
import { reapResult, startReap, type ReapInput } from '../../client/reap';
import { startUpload } from '../../client/upload';
import type { ReapedSession, ReapResult } from '../../workflows/definitions/reap';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, restClient } from '../support/library';
import { startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

const sleep = async (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reapOrphanSessions', () => {
  let target: Target;
  let vcsim: RunningVcsim;
  let proxy: ThrottleProxy;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;

  beforeAll(async () => {
    // A vcsim of our own: the reaper ends every unowned session it can see, and the
    // stack's shared vcsim holds other suites' sessions.
    [target, vcsim] = await Promise.all([
      startTarget('simulator'),
      ensureTools().then(async (t) => startVcsim({ bin: t.vcsim })),
    ]);
    proxy = await startThrottleProxy(target.url, 1024 * 1024 * 1024);
    worker = await startTestWorker(
      testConfig({
        target: { url: target.url, username: 'user', password: 'pass', transferUrl: proxy.url },
        ownvcsim: { url: vcsim.url, username: 'user', password: 'pass' },
      }),
    );
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-reaper-'));
  });
  afterAll(async () => {
    await worker?.stop();
    await proxy?.close();
    await rest?.close();
    await target?.close();
    await vcsim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const reap = async (input: Omit<ReapInput, 'vcenter'> & { vcenter?: string }): Promise<ReapResult> =>
    reapResult(
      await startReap(worker.client, { vcenter: 'target', ...input }, { taskQueue: worker.taskQueue }),
    );
  const entry = (result: ReapResult, id: string): ReapedSession | undefined =>
    result.sessions.find((s) => s.id === id);
  const simState = (id: string) => target.sim!.stats.sessions().find((s) => s.id === id);
  const newItem = async (prefix: string) =>
    rest.createLibraryItem(
      { library_id: library.id, name: `${prefix}-${randomUUID().slice(0, 6)}`, type: 'iso' },
      randomUUID(),
    );

  it('cancels an orphaned ACTIVE update session that blocks an item, after which an upload of the item succeeds', async () => {
    const itemId = await newItem('blocked');
    const orphan = await rest.createUpdateSession({ library_item_id: itemId }, randomUUID());
    // The item is blocked: the simulator allows one ACTIVE update session per item.
    await expect(rest.createUpdateSession({ library_item_id: itemId }, randomUUID())).rejects.toMatchObject({
      code: 'RESOURCE_BUSY',
    });
    await sleep(1100);

    const result = await reap({ graceMs: 1000 });
    expect(entry(result, orphan)).toMatchObject({
      kind: 'update',
      itemId,
      outcome: 'reaped',
      steps: ['cancel'],
    });
    expect(entry(result, orphan)?.owner).toBeUndefined();
    expect(entry(result, orphan)?.idleMs).toBeGreaterThanOrEqual(1000);
    expect(simState(orphan)?.state).toBe('CANCELED');

    const file = await writeRandomFile(join(dir, 'unblocked.iso'), 64 * 1024, 'unblocked');
    const upload = await startUpload(
      worker.client,
      {
        vcenter: 'target',
        library: { id: library.id },
        item: { id: itemId },
        source: { kind: 'file', path: file.path },
      },
      { taskQueue: worker.taskQueue },
    );
    const done = await upload.result();
    expect(done.files).toEqual([expect.objectContaining({ name: 'unblocked.iso', size: file.size })]);
  });

  it('leaves alone the session of a running upload saga, even with no grace period, and the upload completes', async () => {
    const file = await writeRandomFile(join(dir, 'owned.iso'), 4 * 1024 * 1024, 'owned');
    proxy.setRate(512 * 1024);
    try {
      const name = `owned-${randomUUID().slice(0, 6)}`;
      const handle = await startUpload(
        worker.client,
        {
          vcenter: 'target',
          library: { id: library.id },
          item: { name },
          source: { kind: 'file', path: file.path },
        },
        { taskQueue: worker.taskQueue },
      );
      let session = '';
      for (let i = 0; !session; i++) {
        if (i > 300) throw new Error('no bytes flowed into an update session');
        await sleep(50);
        const [itemId] = await rest.findLibraryItems({ library_id: library.id, name });
        const live = target
          .sim!.stats.sessions()
          .find((s) => s.library_item_id === itemId && s.kind === 'update' && s.state === 'ACTIVE');
        if (live && target.sim!.stats.bytesReceived(live.id) > 0) session = live.id;
      }
      // The saga has recorded the session in CloSessionId (visibility may trail by a moment).
      while (
        (await worker.client.workflow.count(`CloSessionId = '${session}' AND ExecutionStatus = 'Running'`))
          .count === 0
      )
        await sleep(100);

      const cancels = target.sim!.stats.calls('updatesession.cancel');
      const result = await reap({ graceMs: 0 });
      expect(entry(result, session)).toMatchObject({
        outcome: 'kept',
        state: 'ACTIVE',
        owner: { workflowId: handle.workflowId, status: 'RUNNING' },
        reason: `owned by running workflow ${handle.workflowId}`,
      });
      expect(target.sim!.stats.calls('updatesession.cancel')).toBe(cancels);
      proxy.setRate(1024 * 1024 * 1024);
      const done = await handle.result();
      expect(done.sessionIds).toEqual([session]);
      expect(simState(session)?.state).toBe('DONE');
    } finally {
      proxy.setRate(1024 * 1024 * 1024);
    }
  });

  it('changes nothing in a dry run, and keeps an orphan touched within the grace period', async () => {
    const [stale, fresh] = [await newItem('stale'), await newItem('fresh')];
    const old = await rest.createUpdateSession({ library_item_id: stale }, randomUUID());
    await sleep(1600);
    const recent = await rest.createUpdateSession({ library_item_id: fresh }, randomUUID());
    const calls = () =>
      target.sim!.stats.calls('updatesession.cancel') + target.sim!.stats.calls('downloadsession.cancel');
    const before = calls();

    const dry = await reap({ graceMs: 1500, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(entry(dry, old)).toMatchObject({ outcome: 'would-reap', steps: [] });
    expect(entry(dry, recent)).toMatchObject({ outcome: 'kept' });
    expect(entry(dry, recent)?.reason).toMatch(/under the grace period of 1s/);
    expect(calls()).toBe(before);
    expect([simState(old)?.state, simState(recent)?.state]).toEqual(['ACTIVE', 'ACTIVE']);

    const real = await reap({ graceMs: 1500 });
    expect(entry(real, old)?.outcome).toBe('reaped');
    expect(entry(real, recent)?.outcome).toBe('kept');
    expect([simState(old)?.state, simState(recent)?.state]).toEqual(['CANCELED', 'ACTIVE']);
  });

  it('cancels and deletes an orphaned download session', async () => {
    const itemId = await newItem('download');
    const orphan = await rest.createDownloadSession({ library_item_id: itemId }, randomUUID());
    await sleep(1100);
    const result = await reap({ graceMs: 1000 });
    expect(entry(result, orphan)).toMatchObject({
      kind: 'download',
      itemId,
      outcome: 'reaped',
      steps: ['cancel', 'delete'],
    });
    // The simulator keeps a canceled download session until it is deleted: both calls happened.
    expect(simState(orphan)).toMatchObject({ state: 'CANCELED', ended: 'deleted' });
    expect(result.counts).toMatchObject({ failed: 0 });
  });

  it('reaps on vcsim too, where cancel already deletes a download session', async () => {
    const own = restClient(vcsim.url);
    try {
      const lib = await createTestLibrary(own, vcsim.datastore);
      const itemId = await own.createLibraryItem(
        { library_id: lib.id, name: 'vcsim-orphans', type: 'iso' },
        randomUUID(),
      );
      const update = await own.createUpdateSession({ library_item_id: itemId }, randomUUID());
      const download = await own.createDownloadSession({ library_item_id: itemId }, randomUUID());
      // vcsim's sessions expire an hour after their last activity: that is its lease.
      const result = await reap({ vcenter: 'ownvcsim', graceMs: 0, leaseMs: 3_600_000 });
      expect(entry(result, update)).toMatchObject({ kind: 'update', outcome: 'reaped', steps: ['cancel'] });
      expect(entry(result, download)).toMatchObject({
        kind: 'download',
        outcome: 'reaped',
        steps: ['cancel', 'delete'],
      });
      expect((await own.getUpdateSession(update)).state).toBe('CANCELED');
      await expect(own.getDownloadSession(download)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // With the documented five-minute lease assumed, vcsim's hour-long expiry reads as never idle: nothing is touched.
      const another = await own.createUpdateSession({ library_item_id: itemId }, randomUUID());
      const cautious = await reap({ vcenter: 'ownvcsim', graceMs: 0 });
      expect(entry(cautious, another)).toMatchObject({ outcome: 'kept', state: 'ACTIVE' });
      expect(entry(cautious, another)?.reason).toMatch(/session timeout is longer/);
      expect((await own.getUpdateSession(another)).state).toBe('ACTIVE');
    } finally {
      await own.close();
    }
  });
});
