/**
 * Worker crashes: a real `clo worker` process is SIGKILLed in the middle of a
 * multi-hundred-megabyte transfer (and, on the simulator, just before and during
 * `complete`); a new worker process finishes the saga. The bytes read back equal the
 * source, finished files are not resent, and no session is left ACTIVE. The worker that
 * finished one test's saga runs the next test's from its start (a process takes seconds to start).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startUpload } from '../../client/upload';
import { makeOvfPackage, writeRandomFile } from '../fixtures/content';
import {
  createTestLibrary,
  readItemBack,
  restClient,
  seedItem,
  updateSessionStates,
} from '../support/library';
import { heartbeatBytes, waitFor } from '../support/polling';
import { SAGA_TARGETS, serverOf, startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { quickFailover, startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { testConfig } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';
import type { CloConfig } from '../../temporal.config';

const BIG = 300 * 1024 * 1024;
/** The wire until the kill: slow enough to catch the big file mid-transfer. */
const RATE = 40 * 1024 * 1024;
/** The wire after the kill: the new worker's resend is not what is tested, so it runs at full speed. */
const UNTHROTTLED = 1024 * 1024 * 1024;

describe.each(SAGA_TARGETS)('uploadLibraryItem survives a killed worker on %s', (targetName) => {
  const server = serverOf(targetName);
  let target: Target;
  let proxy: ThrottleProxy;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let config: CloConfig;
  let connection: Connection;
  let client: Client;
  const workers: WorkerProcess[] = [];
  /** A worker that finished the last test's saga: the next test's first worker (a start takes seconds). */
  let spare: WorkerProcess | undefined;

  beforeAll(async () => {
    target = await startTarget(targetName);
    proxy = await startThrottleProxy(target.url, RATE);
    config = testConfig({ target: target.vcenter({ transferUrl: proxy.url }) });
    quickFailover(config);
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-kill-'));
    connection = await Connection.connect({ address: stackInfo().temporalAddress });
    client = new Client({ connection, namespace: stackInfo().namespace });
  });
  afterEach(async () => {
    await Promise.all(
      workers
        .splice(0)
        .filter((w) => w !== spare)
        .map(async (w) => w.kill()),
    );
    if (spare) workers.push(spare);
    target.sim?.faults.clear();
    proxy.setRate(RATE);
  });
  afterAll(async () => {
    await Promise.all(workers.splice(0).map(async (w) => w.kill()));
    await connection?.close();
    await proxy?.close();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const worker = async (name: string) => {
    const w = await startWorkerProcess(config, dir, name);
    workers.push(w);
    return w;
  };
  const firstWorker = async () => {
    const w = spare ?? (await worker('first'));
    spare = undefined;
    return w;
  };

  it('finishes a 300 MB transfer on a new worker after the first is SIGKILLed mid-file, resending only that file', async () => {
    const pkg = await makeOvfPackage(join(dir, 'big'), {
      name: 'big',
      disks: [{ size: 1024 * 1024 }, { size: BIG }],
      manifest: 'SHA1',
    });
    const bigDisk = pkg.disks[1]!;
    const first = await firstWorker();
    const handle = await startUpload(
      client,
      {
        vcenter: 'target',
        library: { id: library.id },
        item: { name: `kill-${randomUUID().slice(0, 6)}` },
        source: { kind: 'ovf', path: pkg.descriptorPath },
        options: { fileConcurrency: 1, replace: false, takeOver: false, maxSessionRestarts: 2 },
      },
      { taskQueue: config.temporal.taskQueue, config },
    );
    await waitFor(
      'a third of the big disk to be sent',
      async () => (await heartbeatBytes(client, handle, bigDisk.name)) > BIG / 3,
      120_000,
    );
    await first.kill();
    proxy.setRate(UNTHROTTLED);
    const second = await worker('second');
    const result = await handle.result();
    spare = second;

    const byName = Object.fromEntries(result.files.map((f) => [f.name, f]));
    expect(byName[pkg.disks[0]!.name]).toMatchObject({ resent: false, skipped: false });
    expect(byName[bigDisk.name]).toMatchObject({ sha1: bigDisk.sha1, size: BIG });
    // vcsim never reports a PUSH file as READY, so the retry re-sends; the simulator reports
    // the partial file, so the retry knows it is re-sending.
    expect(byName[bigDisk.name]!.resent || server === 'vcsim').toBe(true);
    const back = await readItemBack(rest, result.itemId);
    for (const f of pkg.files) expect(back[f.name]).toEqual({ size: f.size, sha1: f.sha1 });
    expect(Object.values(await updateSessionStates(rest, result.itemId))).not.toContain('ACTIVE');
  });

  if (server === 'simulator') {
    it.each([
      ['just before complete (during validate)', 'updatesession.file.validate'],
      ['during complete', 'updatesession.complete'],
    ])('completes after the worker is killed %s', async (_when, operation) => {
      const file = await writeRandomFile(
        join(dir, `late-${randomUUID().slice(0, 4)}.iso`),
        2 * 1024 * 1024,
        operation,
      );
      target.sim!.faults.addLatency({ operation, ms: 4000, count: 1 });
      const calls = target.sim!.stats.calls(operation as 'updatesession.complete');
      const first = await firstWorker();
      const handle = await startUpload(
        client,
        {
          vcenter: 'target',
          library: { id: library.id },
          item: { name: `late-${randomUUID().slice(0, 6)}` },
          source: { kind: 'file', path: file.path },
        },
        { taskQueue: config.temporal.taskQueue, config },
      );
      await waitFor(
        `${operation} to be in flight`,
        () => target.sim!.stats.calls(operation as 'updatesession.complete') > calls,
        120_000,
      );
      await first.kill();
      const second = await worker('second');
      const result = await handle.result();
      spare = second;
      expect(result.files[0]).toMatchObject({ resent: false });
      expect(await readItemBack(rest, result.itemId)).toEqual({
        [file.name]: { size: file.size, sha1: file.sha1 },
      });
      expect(Object.values(await updateSessionStates(rest, result.itemId))).toEqual(['DONE']);
    });
  }
});

describe('uploadLibraryItem relaying from another vCenter survives a killed worker (two simulators)', () => {
  let source: Target;
  let target: Target;
  let proxy: ThrottleProxy;
  let sourceRest: ContentLibraryClient;
  let targetRest: ContentLibraryClient;
  let dir: string;
  let config: CloConfig;
  let connection: Connection;
  let client: Client;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    [source, target] = await Promise.all([startTarget('simulator'), startTarget('simulator')]);
    proxy = await startThrottleProxy(target.url, RATE);
    config = testConfig({
      origin: { url: source.url, username: 'user', password: 'pass' },
      target: { url: target.url, username: 'user', password: 'pass', transferUrl: proxy.url },
    });
    quickFailover(config);
    sourceRest = restClient(source.url);
    targetRest = restClient(target.url);
    dir = await mkdtemp(join(tmpdir(), 'clo-relay-kill-'));
    connection = await Connection.connect({ address: stackInfo().temporalAddress });
    client = new Client({ connection, namespace: stackInfo().namespace });
  });
  afterAll(async () => {
    await Promise.all(workers.splice(0).map(async (w) => w.kill()));
    await connection?.close();
    await proxy?.close();
    await Promise.all([sourceRest?.close(), targetRest?.close()]);
    await Promise.all([source?.close(), target?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('resends the file cut off mid-relay, deletes the source download session the dead worker opened, and leaves no session ACTIVE', async () => {
    const from = await createTestLibrary(sourceRest, source.datastore, 'origin');
    const to = await createTestLibrary(targetRest, target.datastore, 'mirror');
    const seeded = await seedItem(sourceRest, from.id, 'relayed', [
      { name: 'notes.txt', size: 10_000, seed: 'relay-kill-notes' },
      { name: 'big.bin', size: BIG, seed: 'relay-kill-big' },
    ]);
    const first = await startWorkerProcess(config, dir, 'relay-first');
    workers.push(first);
    const handle = await startUpload(
      client,
      {
        vcenter: 'target',
        library: { id: to.id },
        item: { name: `relayed-${randomUUID().slice(0, 6)}` },
        source: { kind: 'library-item', vcenter: 'origin', itemId: seeded.itemId },
        options: { fileConcurrency: 1, replace: false, takeOver: false, maxSessionRestarts: 2 },
      },
      { taskQueue: config.temporal.taskQueue, config },
    );
    await waitFor(
      'a third of big.bin to be relayed',
      async () => (await heartbeatBytes(client, handle, 'big.bin')) > BIG / 3,
      120_000,
    );
    const openedBeforeKill = source
      .sim!.stats.sessions()
      .filter((s) => s.kind === 'download' && s.library_item_id === seeded.itemId && !s.ended);
    expect(openedBeforeKill).toHaveLength(1);
    await first.kill();
    proxy.setRate(UNTHROTTLED);
    workers.push(await startWorkerProcess(config, dir, 'relay-second'));
    const result = await handle.result();

    const byName = Object.fromEntries(result.files.map((f) => [f.name, f]));
    expect(byName['notes.txt']).toMatchObject({ resent: false });
    expect(byName['big.bin']).toMatchObject({
      size: BIG,
      sha1: seeded.expected['big.bin']!.sha1,
      resent: true,
    });
    expect(await readItemBack(targetRest, result.itemId)).toEqual(seeded.expected);
    // The dead worker's download session was deleted by the retry (its id was in the heartbeat),
    // not left to expire; every later one was deleted too.
    const downloads = source
      .sim!.stats.sessions()
      .filter((s) => s.kind === 'download' && s.library_item_id === seeded.itemId);
    expect(downloads.find((s) => s.id === openedBeforeKill[0]!.id)).toMatchObject({ ended: 'deleted' });
    expect(downloads.length).toBeGreaterThanOrEqual(3);
    expect(downloads.every((s) => s.ended === 'deleted')).toBe(true);
    expect(Object.values(await updateSessionStates(targetRest, result.itemId))).not.toContain('ACTIVE');
  });
});
