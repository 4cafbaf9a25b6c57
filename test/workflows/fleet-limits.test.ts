/**
 * `vcenters.<name>.maxConcurrentTransfers` is honoured by the fleet, not by each worker: three
 * workers (createWorker, in-process, each with its own host id and identity) on one task queue
 * run ten uploads and downloads at once against the simulator with a limit of 2, and the
 * simulator never sees more than two ACTIVE sessions, while it does see two (the permits are
 * not left idle). A saga terminated while it holds a permit does not keep it: the semaphore's
 * holder check frees it for the saga waiting behind it. Design: docs/design.md "Transfer permits".
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startDownload } from '../../client/download';
import { startUpload } from '../../client/upload';
import { createWorker, type CloWorker } from '../../worker/create-worker';
import { progressQuery } from '../../workflows/definitions/transfer';
import {
  transferPermitsQuery,
  transferPermitsWorkflowId,
  type TransferPermitsState,
} from '../../workflows/definitions/transfer-permits';
import type { CloConfig } from '../../temporal.config';
import { writeRandomFile } from '../fixtures/content';
import { putItem, sha1OfFile } from '../support/download';
import { createTestLibrary, restClient } from '../support/library';
import { waitFor } from '../support/polling';
import { startTarget, type Target } from '../support/targets';
import { quietRuntime, testConfig } from '../stack/harness';
import { stackInfo, workflowBundleFor } from '../stack/stack-info';

const LIMIT = 2;
const SIZE = 1024 * 1024;

describe('maxConcurrentTransfers across a fleet of three workers (simulator)', () => {
  let target: Target;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let config: CloConfig;
  let connection: Connection;
  let client: Client;
  const workers: Array<{ cloWorker: CloWorker; running: Promise<void> }> = [];

  beforeAll(async () => {
    quietRuntime();
    target = await startTarget('simulator-api');
    config = testConfig({
      sim: target.vcenter({ maxConcurrentTransfers: LIMIT }),
      // The same server under another name: a semaphore of its own.
      'sim-one': target.vcenter({ maxConcurrentTransfers: 1 }),
    });
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-fleet-limits-'));
    connection = await Connection.connect({ address: stackInfo().temporalAddress });
    client = new Client({ connection, namespace: stackInfo().namespace });
    // Each with its own connection, as separate processes would be (the SDK refuses two Workers of
    // one task queue on one connection).
    for (let i = 1; i <= 3; i++) {
      const cloWorker = await createWorker({
        config: { ...config, worker: { ...config.worker, hostId: `fleet-host-${i}` } },
        workflowBundle: workflowBundleFor(config),
        identity: `fleet-worker-${i}`,
      });
      workers.push({ cloWorker, running: cloWorker.worker.run() });
    }
  });
  afterAll(async () => {
    for (const { cloWorker } of workers)
      if (cloWorker.worker.getState() === 'RUNNING') cloWorker.worker.shutdown();
    await Promise.all(
      workers.map(async ({ cloWorker, running }) => running.then(async () => cloWorker.close())),
    );
    await connection?.close();
    await rest?.close();
    await target?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const semaphore = () =>
    client.workflow.getHandle(transferPermitsWorkflowId(config.temporal.taskQueue, 'sim'));
  const permits = async (): Promise<TransferPermitsState | undefined> =>
    semaphore()
      .query(transferPermitsQuery)
      .catch(() => undefined);
  const upload = async (name: string, vcenter = 'sim') => {
    const file = await writeRandomFile(join(dir, `${name}.bin`), SIZE, name);
    return startUpload(
      client,
      {
        vcenter,
        library: { id: library.id },
        item: { name },
        source: { kind: 'file', path: file.path },
      },
      { taskQueue: config.temporal.taskQueue, config },
    );
  };
  const download = async (itemId: string, name: string) =>
    startDownload(
      client,
      { vcenter: 'sim', library: { id: library.id }, item: { id: itemId }, destination: join(dir, name) },
      { taskQueue: config.temporal.taskQueue, config },
    );
  const seed = async (name: string) => {
    const file = await writeRandomFile(join(dir, `${name}.src`), SIZE, name);
    return { itemId: await putItem(rest, library.id, name, file.path, SIZE), sha1: file.sha1 };
  };

  it('never has more than two sessions ACTIVE, and keeps two busy, while ten sagas run on three workers', async () => {
    const sim = target.sim!;
    const sources = await Promise.all(
      [1, 2, 3, 4].map(async (i) => seed(`seed-${i}-${randomUUID().slice(0, 6)}`)),
    );
    sim.stats.reset();
    // A second per MiB in each direction: transfers overlap, so only the permits keep them apart.
    sim.faults.limitRate({ bytesPerSecond: SIZE, direction: 'both' });
    const uploads = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async (i) => upload(`up-${i}-${randomUUID().slice(0, 6)}`)),
    );
    const downloads = await Promise.all(
      sources.map(async (s, i) => ({ handle: await download(s.itemId, `down-${i}`), sha1: s.sha1 })),
    );

    // Busy: whenever a saga waits for a permit, both permits are in use by a live session.
    let waitingSamples = 0;
    let busySamples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const state = await permits();
        if (state && state.waiting.length > 0) {
          waitingSamples++;
          if (sim.stats.activeSessions === LIMIT) busySamples++;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await Promise.all(uploads.map(async (h) => h.result()));
      for (const { handle, sha1 } of downloads) {
        const result = await handle.result();
        expect(await sha1OfFile(join(result.destination, result.files[0]!.name))).toBe(sha1);
      }
    } finally {
      sampling = false;
      await sampler;
    }

    expect(sim.stats.peakActiveSessions).toBe(LIMIT);
    expect(waitingSamples).toBeGreaterThan(0);
    expect(busySamples / waitingSamples).toBeGreaterThanOrEqual(0.5);
    expect(sim.stats.activeSessions).toBe(0);
    expect((await permits())?.holders ?? []).toEqual([]);
    // The sagas' workflow tasks ran on more than one of the three workers.
    const identities = new Set<string>();
    for (const h of [...uploads, ...downloads.map((d) => d.handle)]) {
      for (const event of (await h.fetchHistory()).events ?? []) {
        const identity = event.workflowTaskCompletedEventAttributes?.identity;
        if (identity) identities.add(identity);
      }
    }
    expect(identities.size).toBeGreaterThan(1);
    console.log(
      `fleet-limits: peak ${sim.stats.peakActiveSessions} ACTIVE sessions (limit ${LIMIT}); ` +
        `both permits in use in ${busySamples} of ${waitingSamples} samples while a saga waited`,
    );
  }, 90_000);

  it('frees the permit of a saga terminated while it holds it, and ends when idle', async () => {
    const sim = target.sim!;
    sim.faults.clear();
    const sources = await Promise.all([1, 2].map(async (i) => seed(`hold-${i}-${randomUUID().slice(0, 6)}`)));
    // The two holders' downloads stand still until the fault is cleared.
    sim.faults.limitRate({ bytesPerSecond: 1 });
    const [doomed, survivor] = await Promise.all(
      sources.map(async (s, i) => download(s.itemId, `hold-${i}`)),
    );
    await waitFor('both permits held', async () => (await permits())?.holders.length === LIMIT, 20_000);
    const waiter = await upload(`waiter-${randomUUID().slice(0, 6)}`);
    await waitFor(
      'the third saga to wait for a permit',
      async () => (await waiter.query(progressQuery)).phase === 'waiting-for-permit',
      20_000,
    );

    await doomed!.terminate('test: a holder that dies without releasing');
    await waitFor(
      'the waiting saga to get the freed permit',
      async () => (await permits())?.holders.some((h) => h.workflowId === waiter.workflowId) ?? false,
      20_000,
    );
    sim.faults.clear();
    await waiter.result();
    await survivor!.result();
    expect((await permits())?.holders).toEqual([]);
    // The terminated saga's download session is left ACTIVE (idle), as for any terminated saga,
    // until it expires or the reaper ends it: expire it now, as its idle timeout would.
    const orphans = sim.stats.sessions().filter((s) => !s.ended && s.state === 'ACTIVE');
    expect(orphans.map((s) => s.kind)).toEqual(['download']);
    for (const s of orphans) sim.faults.expireSession(s.id);
    // Nobody holds or waits: the semaphore ends on its own.
    await waitFor(
      'the semaphore to end',
      async () => (await semaphore().describe()).status.name !== 'RUNNING',
      30_000,
    );
    expect((await semaphore().describe()).status.name).toBe('COMPLETED');
  }, 90_000);

  it('carries its holders and waiters over continue-as-new', async () => {
    const sim = target.sim!;
    sim.faults.clear();
    // Started by hand with a short history bound, before the sagas' requests signal it.
    const workflowId = transferPermitsWorkflowId(config.temporal.taskQueue, 'sim-one');
    const started = await client.workflow.start('transferPermits', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{ vcenter: 'sim-one', limit: 1, maxHistoryEvents: 20 }],
    });
    sim.stats.reset();
    // A second per upload, so that a holder forgotten across continue-as-new would overlap the next.
    sim.faults.limitRate({ bytesPerSecond: SIZE, direction: 'put' });
    const uploads = await Promise.all(
      [1, 2, 3, 4].map(async (i) => upload(`one-${i}-${randomUUID().slice(0, 6)}`, 'sim-one')),
    );
    await Promise.all(uploads.map(async (h) => h.result()));
    expect(sim.stats.peakActiveSessions).toBe(1);
    expect(
      (await client.workflow.getHandle(workflowId, started.firstExecutionRunId).describe()).status.name,
    ).toBe('CONTINUED_AS_NEW');
  }, 60_000);
});
