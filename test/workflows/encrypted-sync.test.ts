/**
 * Payload encryption and syncs: workflow ids are stored in clear, so with a key the sync's id,
 * its child uploads' ids and a scheduled sync's id name the library and the items by
 * `name-sha256:<16 hex>`, and a reader of the server (the `temporal` CLI without the codec, the
 * dev server's SQLite file) finds neither the names nor the catalog path anywhere. A sync without
 * a key on the same server is the control: its names do show, so the searches can find them.
 *
 * This test runs its own dev server with a database file (the shared one is in memory).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import type { RunningTemporal } from '../../client/dev-stack';
import { createSyncSchedule } from '../../client/schedules';
import { startSync, type SyncInput } from '../../client/sync';
import { writeRandomFile } from '../fixtures/content';
import {
  cliHistory,
  cliSchedule,
  cliWorkflowList,
  databaseBytes,
  readable,
  startSide,
  type Side,
  startRecordingServer,
} from '../support/encrypted-server';
import { createTestLibrary, restClient } from '../support/library';
import { stackInfo } from '../stack/stack-info';

/** The id form of a name, computed here with node:crypto, independently of the code under test. */
const hashed = (name: string) =>
  `name-sha256:${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;

describe('payload encryption of a sync', () => {
  const tag = randomBytes(4).toString('hex');
  const keys = `k-${tag}=${randomBytes(32).toString('base64')}`;
  let dir: string;
  let temporal: RunningTemporal;
  let rest: ContentLibraryClient;
  let secretLib: { id: string; name: string };
  let plainLib: { id: string; name: string };
  let encrypted: Side;
  let plain: Side;
  const stopAll: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const stack = stackInfo();
    dir = await mkdtemp(join(tmpdir(), 'clo-enc-sync-'));
    rest = restClient(stack.vcsim.url);
    [temporal, secretLib, plainLib] = await Promise.all([
      startRecordingServer(dir),
      createTestLibrary(rest, stack.vcsim.datastore, `secret-lib-${tag}`),
      createTestLibrary(rest, stack.vcsim.datastore, `plain-lib-${tag}`),
    ]);
    encrypted = await startSide(temporal, keys);
    stopAll.push(encrypted.stop);
    plain = await startSide(temporal);
    stopAll.push(plain.stop);
  });
  afterAll(async () => {
    for (const stop of stopAll.reverse()) await stop();
    await temporal?.stop();
    await rest?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A catalog directory of two ISOs, each item named after its file. */
  async function catalog(prefix: string): Promise<{ path: string; names: string[] }> {
    const path = join(dir, `${prefix}-catalog`);
    await mkdir(path);
    const names = [`${prefix}-item-a`, `${prefix}-item-b`];
    for (const name of names) await writeRandomFile(join(path, `${name}.iso`), 16 * 1024, name);
    return { path, names };
  }

  const syncInput = (library: string, path: string): SyncInput => ({
    vcenter: 'vcsim',
    library: { name: library },
    source: { kind: 'catalog', path },
  });

  async function sync(side: Side, library: string, path: string) {
    const handle = await startSync(side.client, syncInput(library, path), {
      taskQueue: side.config.temporal.taskQueue,
      config: side.config,
    });
    return { workflowId: handle.workflowId, result: await handle.result() };
  }

  async function itemNames(libraryId: string): Promise<string[]> {
    const ids = await rest.listLibraryItems(libraryId);
    return (await Promise.all(ids.map(async (id) => (await rest.getLibraryItem(id)).name))).sort();
  }

  let secret: { path: string; names: string[] };

  it('keeps library and item names out of the ids and history of the sync and its uploads; the sync completes', async () => {
    secret = await catalog(`secret-${tag}`);
    const control = await catalog(`plain-${tag}`);
    const sealed = await sync(encrypted, secretLib.name, secret.path);
    const clear = await sync(plain, plainLib.name, control.path);

    // Both syncs did their work.
    for (const [run, names] of [
      [sealed, secret.names],
      [clear, control.names],
    ] as const) {
      expect(run.result.failed).toEqual([]);
      expect([...run.result.added].sort()).toEqual(names);
    }
    expect(await itemNames(secretLib.id)).toEqual(secret.names);
    expect(await itemNames(plainLib.id)).toEqual(control.names);

    // The ids: hashed names with the key, names without.
    const syncId = `sync/vcsim/${hashed(secretLib.name)}`;
    const childIds = secret.names.map((n) => `${syncId}/item/${hashed(n)}`);
    expect(sealed.workflowId).toBe(syncId);
    const controlSyncId = `sync/vcsim/${plainLib.name}`;
    expect(clear.workflowId).toBe(controlSyncId);
    const list = await cliWorkflowList(temporal);
    const listed = (JSON.parse(list) as Array<{ execution: { workflowId: string } }>).map(
      (e) => e.execution.workflowId,
    );
    expect(listed).toEqual(expect.arrayContaining([syncId, ...childIds]));
    expect(listed).toEqual(
      expect.arrayContaining([controlSyncId, ...control.names.map((n) => `${controlSyncId}/item/${n}`)]),
    );

    // What a reader of the server sees: the list, each history, the database file.
    const histories = await Promise.all([syncId, ...childIds].map((id) => cliHistory(temporal, id)));
    const controlHistory = readable(await cliHistory(temporal, controlSyncId));
    const db = (await databaseBytes(dir)).toString('latin1');
    // The control shows that each search finds these strings where they are stored in clear.
    for (const text of [readable(list), db]) {
      expect(text).toContain(plainLib.name);
      for (const n of control.names) expect(text).toContain(n);
    }
    for (const text of [controlHistory, db]) expect(text).toContain(control.path);
    for (const text of [readable(list), ...histories.map(readable), db]) {
      expect(text).not.toContain(secretLib.name);
      expect(text).not.toContain(secret.path);
      for (const n of secret.names) expect(text).not.toContain(n);
    }
    // The histories are there, sealed.
    expect(db).toContain(childIds[0]);
    for (const h of histories) expect(h).toContain('YmluYXJ5L2VuY3J5cHRlZA=='); // "binary/encrypted"
  });

  it('gives a scheduled sync the hashed id, and keeps the names out of the schedule', async () => {
    const scheduleId = `enc-sync-${tag}`;
    const control = `plain-sync-${tag}`;
    const common = { timing: { every: '1h' }, paused: true };
    const handles = [
      await createSyncSchedule(encrypted.client, {
        ...common,
        name: scheduleId,
        input: syncInput(secretLib.name, secret.path),
        taskQueue: encrypted.config.temporal.taskQueue,
        config: encrypted.config,
      }),
      await createSyncSchedule(plain.client, {
        ...common,
        name: control,
        input: syncInput(plainLib.name, secret.path),
        taskQueue: plain.config.temporal.taskQueue,
        config: plain.config,
      }),
    ];
    try {
      const sealed = readable(await cliSchedule(temporal, scheduleId));
      const clear = readable(await cliSchedule(temporal, control));
      expect(clear).toContain(`sync/vcsim/${plainLib.name}`);
      expect(clear).toContain(secret.path);
      expect(sealed).toContain(`sync/vcsim/${hashed(secretLib.name)}`);
      expect(sealed).not.toContain(secretLib.name);
      expect(sealed).not.toContain(secret.path);
    } finally {
      for (const h of handles) await h.delete();
    }
  });
});
