/**
 * Worker crashes: two real `clo worker` processes on this host; the one running a 200 MB
 * download is SIGKILLed mid-file, and the other finishes it. On the simulator, which
 * honours Range, the retry resumes from the part file and the server sends almost
 * nothing twice; on vcsim, which ignores Range, it starts that file over. Either way the
 * file equals the original, no part file is left and the session is gone.
 *
 * The simulator runs once per API flavour (/api and /rest; SAGA_TARGETS). One pair of worker
 * processes serves every target (a process takes seconds to start);
 * the killed one is replaced in the background for the next test.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startDownload } from '../../client/download';
import type { CloConfig } from '../../temporal.config';
import { writeRandomFile, type ExpectedFile } from '../fixtures/content';
import { listDir, liveDownloadSessions, putItem, sha1OfFile } from '../support/download';
import { heartbeatBytes, waitFor } from '../support/polling';
import { createTestLibrary, restClient } from '../support/library';
import { SAGA_TARGETS, serverOf, startTarget, type Target, type TargetName } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { quickFailover, startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { testConfig } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

const BIG = 200 * 1024 * 1024;
const SLOW = 24 * 1024 * 1024;
const FAST = 1024 * 1024 * 1024;

interface Server {
  target: Target;
  rest: ContentLibraryClient;
  libraryId: string;
  itemId: string;
}

describe('downloadLibraryItem survives a killed worker', () => {
  const servers = {} as Record<TargetName, Server>;
  let proxy: ThrottleProxy;
  let dir: string;
  let config: CloConfig;
  let connection: Connection;
  let client: Client;
  let big: ExpectedFile;
  let workers: Array<Promise<WorkerProcess>> = [];

  beforeAll(async () => {
    const targets = await Promise.all(SAGA_TARGETS.map(async (name) => startTarget(name)));
    const vcsim = targets.find((t) => t.name === 'vcsim')!;
    proxy = await startThrottleProxy(vcsim.url, FAST);
    // vcsim cannot pace its transfers, so a throttling proxy slows the wire. The simulator paces
    // its GETs at the source instead (faults.limitRate): a proxy holds megabytes in its sockets'
    // buffers (64 KB segments on loopback), which a kill loses and the server counts as sent.
    config = testConfig(
      Object.fromEntries(
        targets.map((t) => [t.label, t.vcenter(t === vcsim ? { transferUrl: proxy.url } : {})]),
      ),
    );
    quickFailover(config);
    dir = await mkdtemp(join(tmpdir(), 'clo-download-kill-'));
    connection = await Connection.connect({ address: stackInfo().temporalAddress });
    client = new Client({ connection, namespace: stackInfo().namespace });
    workers = [startWorkerProcess(config, dir, 'a'), startWorkerProcess(config, dir, 'b')];
    big = await writeRandomFile(join(dir, 'big.img'), BIG, 'download-kill');
    for (const target of targets) {
      const rest = restClient(target.url);
      const library = await createTestLibrary(rest, target.datastore);
      const itemId = await putItem(rest, library.id, `big-${randomUUID().slice(0, 6)}`, big.path, big.size);
      servers[target.label] = { target, rest, libraryId: library.id, itemId };
    }
    await Promise.all(workers);
    // Two worker processes and 200 MB uploaded to each target: generous under a loaded CI host.
  }, 300_000);
  afterAll(async () => {
    await Promise.all(workers.map(async (w) => (await w.catch(() => undefined))?.kill()));
    await connection?.close();
    await proxy?.close();
    for (const s of Object.values(servers)) {
      await s.rest.close();
      await s.target.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  const identity = (w: WorkerProcess) => `${w.child.pid}@${hostname()}`;

  const titles = {
    simulator:
      'resumes a 200 MB download by Range on another worker after the first is SIGKILLed mid-file, re-fetching under 1%',
    vcsim:
      'vcsim ignores Range: after the worker is SIGKILLed mid-file, another worker starts that file over',
  };
  it.each(SAGA_TARGETS.map((name) => [name, titles[serverOf(name)]] as const))(
    '%s: %s',
    async (name, _title) => {
      const { target, rest, libraryId, itemId } = servers[name];
      const sim = target.sim;
      const dest = join(dir, `dest-${name}`);
      const partPath = join(dest, 'big.img.part');
      const running = await Promise.all(workers);
      if (sim) sim.faults.limitRate({ bytesPerSecond: SLOW });
      else proxy.setRate(SLOW);
      const handle = await startDownload(
        client,
        { vcenter: name, library: { id: libraryId }, item: { id: itemId }, destination: dest },
        { taskQueue: config.temporal.taskQueue, config },
      );
      await waitFor(
        'a third of the file on disk',
        async () => (await heartbeatBytes(client, handle, 'big.img')) > BIG / 3,
      ).catch(async (err: Error) => {
        // Say where the saga stood, for a failure that only shows under load.
        const { raw } = await handle.describe();
        const events = (await handle.fetchHistory()).events?.map((e) => e.eventType) ?? [];
        throw new Error(
          `${err.message}; pending ${JSON.stringify(raw.pendingActivities)}; history ${events.join(',')}`,
        );
      });
      const busy = (await handle.describe()).raw.pendingActivities?.find(
        (a) => a.activityType?.name === 'downloadFile',
      )?.lastWorkerIdentity;
      const victim = running.find((w) => identity(w) === busy)!;
      expect(victim).toBeDefined();
      let session = '';
      if (sim) {
        // Quiet the wire, so that what the server counts as sent is what reached the disk.
        sim.faults.clear();
        sim.faults.limitRate({ bytesPerSecond: 1 });
        session = sim.stats
          .sessions()
          .find((s) => s.kind === 'download' && s.library_item_id === itemId && !s.ended)!.id;
        await waitFor(
          'the disk to hold every byte sent',
          async () => (await stat(partPath)).size === sim.stats.bytesSent(session),
        );
      }
      await victim.kill();
      const onDisk = (await stat(partPath)).size;
      expect(onDisk).toBeGreaterThan(BIG / 3);
      expect(onDisk).toBeLessThan(BIG);
      sim?.faults.clear();
      proxy.setRate(FAST);
      // A replacement for the next test; it may also be the one that takes the retry.
      workers = [
        Promise.resolve(running.find((w) => w !== victim)!),
        startWorkerProcess(config, dir, `after-${name}`),
      ];
      const result = await handle.result();

      // The retry ran on another worker.
      const history = await handle.fetchHistory();
      const retried = history.events?.find((e) => e.activityTaskStartedEventAttributes?.attempt === 2);
      expect(retried?.activityTaskStartedEventAttributes?.identity).toMatch(new RegExp(`@${hostname()}$`));
      expect(retried?.activityTaskStartedEventAttributes?.identity).not.toBe(identity(victim));

      const [f] = result.files;
      // The simulator names the SHA-1, so the resumed file's is checked (its prefix re-read); vcsim names none.
      expect(f).toMatchObject({ name: 'big.img', size: BIG, ...(sim ? { sha1: big.sha1 } : {}) });
      expect(await sha1OfFile(join(dest, 'big.img'))).toBe(big.sha1);
      expect(await listDir(dest)).toEqual(['big.img']);
      expect(result.sessionIds).toHaveLength(1);
      expect(await liveDownloadSessions(rest)).not.toContain(result.sessionIds[0]);
      if (sim) {
        expect(result.sessionIds[0]).toBe(session);
        expect(f).toMatchObject({
          resumed: true,
          resumedFrom: onDisk,
          discardedBytes: 0,
          bytesFetched: BIG - onDisk,
          verifiedBy: 'checksum',
        });
        const refetched = sim.stats.bytesSent(session) - BIG;
        expect(refetched).toBeGreaterThanOrEqual(0);
        expect(refetched).toBeLessThan(BIG * 0.01);
      } else {
        expect(f).toMatchObject({
          resumed: false,
          resumedFrom: 0,
          discardedBytes: onDisk,
          bytesFetched: BIG,
          verifiedBy: 'size',
        });
      }
    },
    240_000,
  );
});
