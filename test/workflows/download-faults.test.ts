/**
 * The download saga's failure paths and bad input, against the Content Library
 * simulator, which injects the faults vcsim cannot produce: a reset GET, a prepare that
 * ends in ERROR, a session that expires, a wrong checksum, a hostile file name.
 */
import { randomUUID } from 'node:crypto';
import { access, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startDownload, type DownloadInput } from '../../client/download';
import { startUpload } from '../../client/upload';
import type { DownloadResult } from '../../workflows/definitions/download';
import { writeRandomFile, type ExpectedFile } from '../fixtures/content';
import { failureOf, listDir, sha1OfFile } from '../support/download';
import { waitFor } from '../support/polling';
import { createTestLibrary, restClient } from '../support/library';
import { SIMULATOR_TARGETS, startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

describe.each(SIMULATOR_TARGETS)('downloadLibraryItem failure paths on %s', (targetName) => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let itemId: string;
  let file: ExpectedFile;

  beforeAll(async () => {
    target = await startTarget(targetName);
    // Slow transfers are paced by the simulator itself (faults.limitRate): a throttling proxy would
    // hold megabytes in its sockets' buffers, all counted as sent before the client has them.
    worker = await startTestWorker(testConfig({ target: target.vcenter() }));
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-download-faults-'));
    file = await writeRandomFile(join(dir, 'data.bin'), 8 * 1024 * 1024, 'faults');
    const up = await startUpload(
      worker.client,
      {
        vcenter: 'target',
        library: { id: library.id },
        item: { name: 'faults' },
        source: { kind: 'file', path: file.path },
      },
      { taskQueue: worker.taskQueue },
    );
    itemId = (await up.result()).itemId;
  });
  afterAll(async () => {
    await worker?.stop();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    target.sim!.faults.clear();
  });

  const start = async (input: Partial<DownloadInput> & { destination: string }): Promise<WorkflowHandle> =>
    startDownload(
      worker.client,
      { vcenter: 'target', library: { id: library.id }, item: { id: itemId }, ...input },
      { taskQueue: worker.taskQueue },
    );
  const run = async (input: Partial<DownloadInput> & { destination: string }) =>
    (await (await start(input)).result()) as DownloadResult;
  const failureFrom = async (input: Partial<DownloadInput> & { destination: string }) =>
    failureOf(await run(input).catch((e: unknown) => e));
  const sessionsOfItem = () =>
    target.sim!.stats.sessions().filter((s) => s.kind === 'download' && s.library_item_id === itemId);
  const newSessions = (before: Set<string>) => sessionsOfItem().filter((s) => !before.has(s.id));
  const known = () => new Set(sessionsOfItem().map((s) => s.id));
  /** The one live session of the item that has sent bytes, once there is one. */
  const flowing = async (before: Set<string>): Promise<string> => {
    let id = '';
    await waitFor('bytes to flow', () => {
      const live = newSessions(before).find((s) => !s.ended && target.sim!.stats.bytesSent(s.id) > 0);
      id = live?.id ?? '';
      return id !== '';
    });
    return id;
  };

  it('retries a GET whose connection is reset midway, resuming from the bytes it already has', async () => {
    target.sim!.faults.resetTransfer({ direction: 'get', afterBytes: 3 * 1024 * 1024, fileName: 'data.bin' });
    const gets = target.sim!.stats.calls('transfer.get');
    const dest = join(dir, 'reset');
    const result = await run({ destination: dest });
    expect(target.sim!.stats.calls('transfer.get') - gets).toBe(2);
    const [f] = result.files;
    expect(f).toMatchObject({ name: 'data.bin', sha1: file.sha1, resumed: true, verifiedBy: 'checksum' });
    expect(f!.resumedFrom).toBeGreaterThan(0);
    expect(f!.resumedFrom).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(f!.bytesFetched).toBe(file.size - f!.resumedFrom);
    expect(await sha1OfFile(join(dest, 'data.bin'))).toBe(file.sha1);
    expect(await listDir(dest)).toEqual(['data.bin']);
  });

  it('fails with the server’s message when a prepare ends in ERROR, and fails the session', async () => {
    target.sim!.faults.failPrepare({ fileName: 'data.bin', message: 'the datastore is on fire' });
    const before = known();
    const dest = join(dir, 'prepare');
    const failure = await failureFrom({ destination: dest });
    expect(failure.type).toBe('PrepareFailed');
    expect(failure.message).toContain('data.bin: the datastore is on fire');
    expect(newSessions(before)).toEqual([expect.objectContaining({ state: 'ERROR', ended: 'deleted' })]);
    expect(await listDir(dest)).toEqual([]);
  });

  it('waits for a slow prepare on workflow timers with backoff; a quick one needs no timer at all', async () => {
    /** The short timers the saga started: the prepare wait's (its backoff stops at 5 s; the saga's other waits are longer). */
    const waitTimers = async (handle: WorkflowHandle): Promise<number[]> =>
      ((await handle.fetchHistory()).events ?? []).flatMap((e) => {
        const d = e.timerStartedEventAttributes?.startToFireTimeout;
        const ms = d ? Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6) : undefined;
        return ms === undefined || ms >= 60_000 ? [] : [ms];
      });
    try {
      target.sim!.setPrepareDelay(3_000);
      const slow = await start({ destination: join(dir, 'prepare-slow') });
      expect((await slow.result()).files[0]).toMatchObject({ name: 'data.bin', sha1: file.sha1 });
      const timers = await waitTimers(slow);
      // Backoff from 100 ms, doubling.
      expect(timers.length).toBeGreaterThan(0);
      expect(timers).toEqual(timers.map((_, i) => 100 * 2 ** i));
      target.sim!.setPrepareDelay(100);
      const quick = await start({ destination: join(dir, 'prepare-quick') });
      expect((await quick.result()).files[0]).toMatchObject({ name: 'data.bin', sha1: file.sha1 });
      expect(await waitTimers(quick)).toEqual([]);
    } finally {
      target.sim!.setPrepareDelay(100);
    }
  });

  it('starts a new session when the first expires mid-download, keeps the part file, and says so', async () => {
    target.sim!.faults.limitRate({ bytesPerSecond: 2 * 1024 * 1024 });
    const before = known();
    const dest = join(dir, 'expire');
    const handle = await start({ destination: dest });
    const first = await flowing(before);
    // The writer writes in slabs: wait until the part file holds some of the bytes.
    await waitFor('the part file to hold bytes', async () => {
      const st = await stat(join(dest, 'data.bin.part')).catch(() => undefined);
      return (st?.size ?? 0) > 0;
    });
    target.sim!.faults.clear();
    target.sim!.faults.expireSession(first);
    const result = (await handle.result()) as DownloadResult;
    expect(result.sessionRestarts).toBe(1);
    expect(result.sessionIds).toEqual([first, expect.any(String)]);
    expect(result.files[0]).toMatchObject({
      sha1: file.sha1,
      resumed: true,
      sessionId: result.sessionIds[1],
      verifiedBy: 'checksum',
    });
    expect(result.files[0]!.resumedFrom).toBeGreaterThan(0);
    expect(sessionsOfItem().find((s) => s.id === first)?.ended).toBe('expired');
    expect(await sha1OfFile(join(dest, 'data.bin'))).toBe(file.sha1);
    expect(await listDir(dest)).toEqual(['data.bin']);
  });

  it('fails on a wrong server checksum, leaving neither the file nor its part file', async () => {
    target.sim!.faults.corruptChecksum({ fileName: 'data.bin' });
    const before = known();
    const dest = join(dir, 'checksum');
    const failure = await failureFrom({ destination: dest });
    expect(failure.type).toBe('ChecksumMismatch');
    expect(failure.message).toMatch(
      /data\.bin: the SHA1 of the downloaded file is [0-9a-f]{40}, but the server says [0-9a-f]{40}/,
    );
    expect(await listDir(dest)).toEqual([]);
    expect(newSessions(before)).toEqual([expect.objectContaining({ state: 'ERROR', ended: 'deleted' })]);
  });

  it('refuses a hostile file name from the server and writes nothing, inside the destination or outside', async () => {
    target.sim!.faults.hostileFileName({ name: '../evil', content: 'pwned\n' });
    const parent = join(dir, 'hostile');
    const dest = join(parent, 'dest');
    await mkdir(dest, { recursive: true });
    const before = known();
    const failure = await failureFrom({ destination: dest });
    expect(failure.type).toBe('UnsafeFileName');
    expect(failure.message).toContain('"../evil" (it contains a path separator)');
    expect(await listDir(parent)).toEqual(['dest']);
    expect(await listDir(dest)).toEqual([]);
    await expect(access(join(parent, 'evil'))).rejects.toThrow();
    expect(newSessions(before)).toEqual([expect.objectContaining({ state: 'ERROR', ended: 'deleted' })]);
  });

  it('cancels the session, stops the GET and removes the part file within seconds when the workflow is cancelled', async () => {
    target.sim!.faults.limitRate({ bytesPerSecond: 1024 * 1024 });
    const before = known();
    const dest = join(dir, 'cancel');
    const handle = await start({ destination: dest });
    const session = await flowing(before);
    await waitFor('a part file', async () => (await listDir(dest)).includes('data.bin.part'));
    const cancelledAt = Date.now();
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as Error).name).toBe('CancelledFailure');
    expect(sessionsOfItem().find((s) => s.id === session)).toMatchObject({
      state: 'CANCELED',
      ended: 'deleted',
    });
    const sent = target.sim!.stats.bytesSent(session);
    expect(sent).toBeLessThan(file.size);
    await new Promise((r) => setTimeout(r, 1000));
    expect(target.sim!.stats.bytesSent(session)).toBe(sent);
    expect(await listDir(dest)).toEqual([]);
  });

  describe('bad input fails with a message naming the problem, and creates no session', () => {
    let creates: number;
    beforeEach(() => {
      creates = target.sim!.stats.calls('downloadsession.create');
    });
    afterEach(() => {
      expect(target.sim!.stats.calls('downloadsession.create')).toBe(creates);
    });

    it('a relative destination and a missing vCenter, named field by field', async () => {
      const failure = failureOf(
        await worker.client.workflow
          .execute('downloadLibraryItem', {
            taskQueue: worker.taskQueue,
            workflowId: `bad-${randomUUID()}`,
            args: [{ library: { id: library.id }, item: { id: itemId }, destination: 'relative/dir' }],
          })
          .catch((e: unknown) => e),
      );
      expect(failure.type).toBe('InvalidInput');
      expect(failure.message).toContain('vcenter');
      expect(failure.message).toContain('destination');
      expect(failure.message).toContain('expected an absolute path');
    });

    it('a library that does not exist', async () => {
      const failure = await failureFrom({
        library: { name: 'no-such-library' },
        destination: join(dir, 'nolib'),
      });
      expect(failure.type).toBe('LibraryNotFound');
      expect(failure.message).toContain('no library named "no-such-library"');
    });

    it('an item that does not exist, by name and by id', async () => {
      const byName = await failureFrom({ item: { name: 'no-such-item' }, destination: join(dir, 'noitem') });
      expect(byName.type).toBe('ItemNotFound');
      expect(byName.message).toContain('no item named "no-such-item"');
      const byId = await failureFrom({ item: { id: randomUUID() }, destination: join(dir, 'noitem') });
      expect(byId.type).toBe('ItemNotFound');
    });

    it('a filter that matches no file of the item', async () => {
      const failure = await failureFrom({ files: ['*.ovf'], destination: join(dir, 'nomatch') });
      expect(failure.type).toBe('NoSuchFile');
      expect(failure.message).toContain('matches "*.ovf"; its files are "data.bin"');
    });

    it('a destination that is a file', async () => {
      const failure = await failureFrom({ destination: file.path });
      expect(failure.type).toBe('DestinationInvalid');
      expect(failure.message).toContain(`destination ${file.path} is not a directory`);
    });
  });
});
