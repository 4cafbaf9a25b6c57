/**
 * Where a download's bytes land: its activities run on the host queue of the worker that
 * answered at the start (`<taskQueue>@<hostId>`). Real `clo worker` processes, given host
 * ids with CLO_HOST_ID, stand in for two hosts: when the download's worker is SIGKILLed, a
 * worker of another host does not take the file over (it has no part file), and a worker
 * started again under the first host id resumes it from the part file by Range; and when
 * the host never comes back, the saga fails with a clear error after its host wait.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startDownload } from '../../client/download';
import type { CloConfig } from '../../temporal.config';
import { writeRandomFile } from '../fixtures/content';
import { listDir, putItem, sha1OfFile } from '../support/download';
import { heartbeatBytes, waitFor } from '../support/polling';
import { createTestLibrary, restClient } from '../support/library';
import { startTarget, type Target } from '../support/targets';
import { quickFailover, startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { failureOf } from '../support/failures';
import { testConfig } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

const SIZE = 64 * 1024 * 1024;

describe('downloadLibraryItem stays on the host that holds its part file', () => {
  let target: Target;
  let rest: ContentLibraryClient;
  let dir: string;
  let config: CloConfig;
  let connection: Connection;
  let client: Client;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    target = await startTarget('simulator');
    config = quickFailover(
      testConfig({ simulator: { url: target.url, username: 'user', password: 'pass' } }),
    );
    rest = restClient(target.url);
    dir = await mkdtemp(join(tmpdir(), 'clo-download-host-'));
    connection = await Connection.connect({ address: stackInfo().temporalAddress });
    client = new Client({ connection, namespace: stackInfo().namespace });
  });
  afterAll(async () => {
    await Promise.all(workers.splice(0).map(async (w) => w.kill()));
    await connection?.close();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const worker = async (name: string, hostId: string): Promise<WorkerProcess> => {
    const w = await startWorkerProcess(config, dir, name, [], { CLO_HOST_ID: hostId });
    workers.push(w);
    return w;
  };

  it('is not taken over by a worker of another host, and resumes when its host id comes back', async () => {
    const sim = target.sim!;
    const file = await writeRandomFile(join(dir, 'disk.img'), SIZE, 'download-host');
    const library = await createTestLibrary(rest, target.datastore);
    const itemId = await putItem(rest, library.id, `host-${randomUUID().slice(0, 6)}`, file.path, SIZE);
    const dest = join(dir, 'dest');
    const partPath = join(dest, 'disk.img.part');

    const first = await worker('host-a-1', 'host-a');
    expect(first.output()).toContain(`"hostTaskQueue":"${config.temporal.taskQueue}@host-a"`);
    sim.faults.limitRate({ bytesPerSecond: 8 * 1024 * 1024 });
    const handle = await startDownload(
      client,
      { vcenter: 'simulator', library: { id: library.id }, item: { id: itemId }, destination: dest },
      { taskQueue: config.temporal.taskQueue, config },
    );
    await waitFor(
      'a quarter of the file on disk',
      async () => (await heartbeatBytes(client, handle, 'disk.img')) > SIZE / 4,
    );
    // Quiet the wire, so that what the server counts as sent is what reached the disk.
    sim.faults.clear();
    sim.faults.limitRate({ bytesPerSecond: 1 });
    const session = sim.stats
      .sessions()
      .find((s) => s.kind === 'download' && s.library_item_id === itemId && !s.ended)!.id;
    await waitFor(
      'the disk to hold every byte sent',
      async () => (await stat(partPath)).size === sim.stats.bytesSent(session),
    );
    await first.kill();
    sim.faults.clear();
    const onDisk = (await stat(partPath)).size;
    const sent = sim.stats.bytesSent(session);

    // Another host's worker polls the shared queue and its own host queue, not host-a's: past the
    // heartbeat timeout (3 s) the retry is scheduled there and nobody takes it.
    await worker('host-b', 'host-b');
    const retry = async () =>
      (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'downloadFile');
    await waitFor('the download to be retried on host-a', async () => ((await retry())?.attempt ?? 0) >= 2);
    // A poller takes a task within milliseconds; host-b has been polling since before the retry.
    await new Promise((r) => setTimeout(r, 2000));
    expect(sim.stats.bytesSent(session)).toBe(sent);
    expect((await stat(partPath)).size).toBe(onDisk);
    const pending = await retry();
    expect(pending?.attempt).toBeGreaterThanOrEqual(2);
    expect(String(pending?.state)).toMatch(/SCHEDULED|^1$/);

    const second = await worker('host-a-2', 'host-a');
    const result = await handle.result();
    expect(result.hostTaskQueue).toBe(`${config.temporal.taskQueue}@host-a`);
    // The resumed part went to disk with O_DIRECT, all but odd-sized pieces (at most a first
    // buffer after an odd offset and the tail) that go through the page cache.
    const fetched = second
      .output()
      .split('\n')
      .filter((l) => l.includes('"msg":"fetched"'))
      .map((l) => JSON.parse(l) as { bytesFetched: number; directBytes: number });
    expect(fetched).toHaveLength(1);
    expect(fetched[0]!.bytesFetched).toBe(SIZE - onDisk);
    expect(fetched[0]!.directBytes).toBeLessThanOrEqual(SIZE - onDisk);
    expect(fetched[0]!.directBytes).toBeGreaterThan(SIZE - onDisk - 4 * 1024 * 1024);
    expect(result.files[0]).toMatchObject({
      name: 'disk.img',
      size: SIZE,
      sha1: file.sha1,
      resumed: true,
      resumedFrom: onDisk,
      bytesFetched: SIZE - onDisk,
    });
    expect(await sha1OfFile(join(dest, 'disk.img'))).toBe(file.sha1);
    expect(await listDir(dest)).toEqual(['disk.img']);
    expect(sim.stats.bytesSent(session) - SIZE).toBeLessThan(SIZE * 0.01);
  }, 180_000);

  it('fails with HostUnavailable, and compensates, when its host does not come back within the host wait', async () => {
    const sim = target.sim!;
    const file = await writeRandomFile(join(dir, 'gone.img'), 8 * 1024 * 1024, 'download-host-gone');
    const library = await createTestLibrary(rest, target.datastore);
    const itemId = await putItem(rest, library.id, `gone-${randomUUID().slice(0, 6)}`, file.path, file.size);
    // Only host-c's worker runs at the start, so the saga's host is host-c.
    await Promise.all(workers.splice(0).map(async (w) => w.kill()));
    const doomed = await worker('host-c', 'host-c');
    sim.faults.limitRate({ bytesPerSecond: 256 * 1024 });
    const handle = await startDownload(
      client,
      {
        vcenter: 'simulator',
        library: { id: library.id },
        item: { id: itemId },
        destination: join(dir, 'gone'),
        options: {
          fileConcurrency: 1,
          maxSessionRestarts: 2,
          prepareTimeoutMs: 60_000,
          hostWaitTimeoutMs: 5000,
        },
      },
      { taskQueue: config.temporal.taskQueue, config },
    );
    await waitFor('bytes on host-c', async () => (await heartbeatBytes(client, handle, 'gone.img')) > 0);
    await doomed.kill();
    sim.faults.clear();
    // Another host keeps running the saga itself, but never host-c's activities.
    await worker('host-d', 'host-d');
    const failure = failureOf(await handle.result().catch((e: unknown) => e));
    expect(failure.type).toBe('HostUnavailable');
    expect(failure.message).toContain(`${config.temporal.taskQueue}@host-c`);
    expect(failure.message).toContain('hostWaitTimeoutMs');
    // The compensation ran on the saga's side: the download session is gone.
    expect(
      sim.stats.sessions().filter((s) => s.kind === 'download' && s.library_item_id === itemId && !s.ended),
    ).toEqual([]);
  }, 120_000);
});
