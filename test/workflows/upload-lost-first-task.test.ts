/**
 * A first workflow task lost after its local activities acted: the worker is SIGKILLed while
 * `createUpdateSession` has created the session but not yet answered, so the item and the session
 * exist on the server while the history records neither. The next worker replays the task from
 * scratch, finds the item, and must ask for the same session again (same client token) rather
 * than a second one, which the item's ACTIVE session would refuse (ItemBusy on its own item).
 * Simulator only: it can hold an answer after acting (`afterHandling` latency).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startUpload } from '../../client/upload';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, readItemBack, restClient, updateSessionStates } from '../support/library';
import { waitFor } from '../support/polling';
import { startTarget, type Target } from '../support/targets';
import { quickFailover, startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { testConfig } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';
import type { CloConfig } from '../../temporal.config';

describe('uploadLibraryItem whose first workflow task is lost after the session was created', () => {
  let target: Target;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let config: CloConfig;
  let connection: Connection;
  let client: Client;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    target = await startTarget('simulator');
    config = quickFailover(testConfig({ target: target.vcenter() }));
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-lost-task-'));
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

  it('reuses its own session on the next worker instead of failing ItemBusy', async () => {
    const file = await writeRandomFile(join(dir, 'lost.iso'), 64 * 1024, 'lost-first-task');
    const sim = target.sim!;
    // The session is created, its answer held past the kill.
    sim.faults.addLatency({ operation: 'updatesession.create', ms: 120_000, count: 1, afterHandling: true });
    const first = await startWorkerProcess(config, dir, 'first');
    workers.push(first);
    const itemName = `lost-${randomUUID().slice(0, 6)}`;
    const handle = await startUpload(
      client,
      {
        vcenter: 'target',
        library: { id: library.id },
        item: { name: itemName },
        source: { kind: 'file', path: file.path },
      },
      { taskQueue: config.temporal.taskQueue, config },
    );
    let itemId = '';
    await waitFor(
      'the item and its ACTIVE session to exist while the answer is held',
      async () => {
        [itemId = ''] = await rest.findLibraryItems({ library_id: library.id, name: itemName });
        return itemId !== '' && Object.values(await updateSessionStates(rest, itemId)).includes('ACTIVE');
      },
      60_000,
    );
    await first.kill();
    workers.push(await startWorkerProcess(config, dir, 'second'));

    const result = await handle.result();
    expect(result.itemId).toBe(itemId);
    expect(result.sessionIds).toHaveLength(1);
    expect(await readItemBack(rest, itemId)).toEqual({ [file.name]: { size: file.size, sha1: file.sha1 } });
    // One session, the one the dead worker's task created, now DONE: none left ACTIVE.
    expect(Object.values(await updateSessionStates(rest, itemId))).toEqual(['DONE']);
  });
});
