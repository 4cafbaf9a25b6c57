/**
 * The upload saga's failure paths, against the Content Library simulator, which
 * enforces the documented session rules and injects the faults vcsim cannot produce.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startUpload, type UploadInput } from '../../client/upload';
import type { UploadResult } from '../../workflows/definitions/upload';
import { makeOvfPackage, ovfDescriptor, writeRandomFile } from '../fixtures/content';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { SIMULATOR_TARGETS, startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { failureOf } from '../support/failures';
import { waitFor } from '../support/polling';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

describe.each(SIMULATOR_TARGETS)('uploadLibraryItem failure paths on %s', (targetName) => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let proxy: ThrottleProxy;

  beforeAll(async () => {
    target = await startTarget(targetName);
    // Transfers go through a throttling proxy (full speed unless a test slows it).
    proxy = await startThrottleProxy(target.url, 1024 * 1024 * 1024);
    worker = await startTestWorker(testConfig({ target: target.vcenter({ transferUrl: proxy.url }) }));
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-faults-'));
  });
  afterAll(async () => {
    await worker?.stop();
    await proxy?.close();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    target.sim!.faults.clear();
    proxy.setRate(1024 * 1024 * 1024);
  });

  const start = async (input: Omit<UploadInput, 'vcenter' | 'library'>): Promise<WorkflowHandle> =>
    startUpload(
      worker.client,
      { vcenter: 'target', library: { name: library.name }, ...input },
      { taskQueue: worker.taskQueue },
    );
  const itemNamed = async (name: string) => rest.findLibraryItems({ library_id: library.id, name });
  const sessionsOf = (itemId: string) =>
    target.sim!.stats.sessions().filter((s) => s.library_item_id === itemId && s.kind === 'update');
  it('retries a PUT whose connection is reset midway and completes, resending only that file', async () => {
    const file = await writeRandomFile(join(dir, 'reset.iso'), 4 * 1024 * 1024, 'reset');
    target.sim!.faults.resetTransfer({ direction: 'put', afterBytes: 1024 * 1024, fileName: 'reset.iso' });
    const putsBefore = target.sim!.stats.calls('transfer.put');
    const result = (await (
      await start({
        item: { name: `reset-${randomUUID().slice(0, 6)}` },
        source: { kind: 'file', path: file.path },
      })
    ).result()) as UploadResult;
    expect(target.sim!.stats.calls('transfer.put') - putsBefore).toBe(2);
    expect(result.files[0]).toMatchObject({ name: 'reset.iso', resent: true });
    expect(await readItemBack(rest, result.itemId)).toEqual({
      'reset.iso': { size: file.size, sha1: file.sha1 },
    });
  });

  it('starts a new session when the first one expires mid-transfer, and says so in its result', async () => {
    const file = await writeRandomFile(join(dir, 'expire.iso'), 8 * 1024 * 1024, 'expire');
    proxy.setRate(2 * 1024 * 1024);
    const name = `expire-${randomUUID().slice(0, 6)}`;
    const handle = await start({ item: { name }, source: { kind: 'file', path: file.path } });
    let first = '';
    await waitFor('a transfer into the first session', async () => {
      const [itemId] = await itemNamed(name);
      const live = itemId ? sessionsOf(itemId).find((s) => s.state === 'ACTIVE') : undefined;
      if (live && target.sim!.stats.bytesReceived(live.id) > 0) first = live.id;
      return first !== '';
    });
    proxy.setRate(1024 * 1024 * 1024);
    target.sim!.faults.expireSession(first);
    const result = (await handle.result()) as UploadResult;
    expect(result.sessionRestarts).toBe(1);
    expect(result.sessionIds).toHaveLength(2);
    expect(result.sessionIds[0]).toBe(first);
    expect(await readItemBack(rest, result.itemId)).toEqual({
      'expire.iso': { size: file.size, sha1: file.sha1 },
    });
  });

  it('fails when validate reports a missing file: the session is failed and the item it created is removed', async () => {
    // A descriptor sent as a plain file: the disk it references never arrives.
    const path = join(dir, 'lonely.ovf');
    await writeFile(path, ovfDescriptor('lonely', [{ name: 'lonely-disk1.img', size: 1024 }]));
    const name = `missing-${randomUUID().slice(0, 6)}`;
    const err = await (
      await start({ item: { name, type: 'ovf' }, source: { kind: 'file', path } })
    )
      .result()
      .catch((e: unknown) => e);
    const failure = failureOf(err);
    expect(failure.type).toBe('ValidationFailed');
    expect(failure.message).toContain('lonely-disk1.img: missing');
    expect(await itemNamed(name)).toEqual([]);
    const failed = target.sim!.stats.sessions().filter((s) => s.kind === 'update' && s.state === 'ERROR');
    expect(failed.length).toBeGreaterThan(0);
    expect(
      target.sim!.stats.sessions().filter((s) => s.kind === 'update' && s.state === 'ACTIVE' && !s.ended),
    ).toEqual([]);
  });

  it('fails with a clear error naming the session that holds a busy item, and takes it over when asked', async () => {
    const name = `busy-${randomUUID().slice(0, 6)}`;
    const itemId = await rest.createLibraryItem({ library_id: library.id, name, type: 'iso' }, randomUUID());
    const orphan = await rest.createUpdateSession({ library_item_id: itemId }, randomUUID());
    const file = await writeRandomFile(join(dir, 'busy.iso'), 64 * 1024, 'busy');

    const err = await (
      await start({ item: { id: itemId }, source: { kind: 'file', path: file.path } })
    )
      .result()
      .catch((e: unknown) => e);
    const failure = failureOf(err);
    expect(failure.type).toBe('ItemBusy');
    expect(failure.message).toContain(orphan);
    // The item existed before the saga: it is not deleted.
    expect((await rest.getLibraryItem(itemId)).name).toBe(name);

    const result = (await (
      await start({
        item: { id: itemId },
        source: { kind: 'file', path: file.path },
        options: { takeOver: true, fileConcurrency: 1, replace: false, maxSessionRestarts: 0 },
      })
    ).result()) as UploadResult;
    expect((await rest.getUpdateSession(orphan).catch(() => ({ state: 'GONE' }))).state).not.toBe('ACTIVE');
    expect(await readItemBack(rest, result.itemId)).toEqual({
      'busy.iso': { size: file.size, sha1: file.sha1 },
    });
  });

  it('fails before complete when a file does not match its manifest digest', async () => {
    const pkg = await makeOvfPackage(join(dir, 'bad-mf'), {
      name: 'tampered',
      disks: [{ size: 256 * 1024 }],
      manifest: 'SHA256',
    });
    const disk = pkg.disks[0]!;
    const manifest = await readFile(pkg.manifestPath!, 'utf8');
    await writeFile(pkg.manifestPath!, manifest.replace(disk.sha256, 'f'.repeat(64)));
    const completes = target.sim!.stats.calls('updatesession.complete');
    const name = `tampered-${randomUUID().slice(0, 6)}`;
    const err = await (
      await start({ item: { name }, source: { kind: 'ovf', path: pkg.descriptorPath } })
    )
      .result()
      .catch((e: unknown) => e);
    const failure = failureOf(err);
    expect(failure.type).toBe('ChecksumMismatch');
    expect(failure.message).toContain(disk.name);
    expect(target.sim!.stats.calls('updatesession.complete')).toBe(completes);
    expect(await itemNamed(name)).toEqual([]);
  });

  it('cancels the session and aborts the transfer within seconds when the workflow is cancelled', async () => {
    const file = await writeRandomFile(join(dir, 'cancel.iso'), 32 * 1024 * 1024, 'cancel');
    proxy.setRate(1024 * 1024);
    const name = `cancel-${randomUUID().slice(0, 6)}`;
    const handle = await start({ item: { name }, source: { kind: 'file', path: file.path } });
    let session = '';
    await waitFor('bytes to flow', async () => {
      const [itemId] = await itemNamed(name);
      const live = itemId ? sessionsOf(itemId).find((s) => s.state === 'ACTIVE') : undefined;
      if (live && target.sim!.stats.bytesReceived(live.id) > 0) session = live.id;
      return session !== '';
    });
    const cancelledAt = Date.now();
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    const elapsed = Date.now() - cancelledAt;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as Error).name).toBe('CancelledFailure');
    expect(elapsed).toBeLessThan(10_000);
    const ended = target.sim!.stats.sessions().find((s) => s.id === session);
    expect(ended?.state).toBe('CANCELED');
    const received = target.sim!.stats.bytesReceived(session);
    await new Promise((r) => setTimeout(r, 1500));
    // Nothing more arrives after the cancel: the PUT was aborted, not left to run.
    expect(target.sim!.stats.bytesReceived(session)).toBe(received);
    expect(received).toBeLessThan(file.size);
    expect(await itemNamed(name)).toEqual([]);
  });
});
