/**
 * How each saga of the fleet test ended, checked from the outside: a completed saga's bytes read
 * back from the vCenter (uploads, sync items) or from the disk (downloads) and compared with the
 * source; a failed one counts as cleanly compensated only when it left nothing half-created (no
 * item it created, no ACTIVE session, no part file). Anything else is lost.
 */
import { readdir, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { DownloadResult } from '../../client/download';
import type { SyncResult } from '../../client/sync';
import type { UploadResult } from '../../client/upload';
import { syncItemWorkflowId } from '../../workflows/definitions/sync';
import { sha1OfFile } from './download';
import type { Expected, Saga } from './fleet-sagas';
import { readItemBack } from './library';
import type { WorkerFleet } from './worker-fleet';

export type Outcome = 'completed' | 'compensated' | 'lost';

export interface SettledSaga {
  saga: Saga;
  outcome: Outcome;
  /** Why it failed (then it compensated, unless it left something behind). */
  failure?: string;
  /** What it left wrong: bytes that differ, a half-created item, a part file, a host mix-up. */
  problems: string[];
  /**
   * What its transfer retries may re-send at most: a file's size for each attempt after the first
   * (a PUT cannot resume; a download resumes by Range where the server honours it).
   */
  retryAllowance: number;
  /** Transfer attempts after the first. */
  retries: number;
  /** Every activity (transfer or not) that ran more than once, with its last attempt. */
  retried: string[];
  /** The sessions the saga's result names (uploads, downloads). */
  sessionIds: string[];
  /** Downloads: the host whose queue ran them (fleet index), resumed files. */
  host?: number;
  resumed?: string[];
  /** Downloads: the byte the last attempt of a resumed file started at (the largest). */
  resumedFrom?: number;
}

const TRANSFERS = new Set(['pushFile', 'downloadFile', 'pullFile', 'relayFile']);

/**
 * Transfer activities of one history that ran more than once, and the identities of the workers
 * that started them (a Started event records the last attempt).
 */
async function transferAttempts(
  handle: WorkflowHandle,
): Promise<{ retries: number; identities: string[]; queues: string[]; retried: string[] }> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, { name: string; queue: string }>();
  let retries = 0;
  const identities: string[] = [];
  const queues: string[] = [];
  const retried: string[] = [];
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      scheduled.set(String(e.eventId), { name: s.activityType?.name ?? '', queue: s.taskQueue?.name ?? '' });
      continue;
    }
    // A workflow task that timed out or failed runs again, with its local activities (the
    // session creates): on a server that ignores client_token (vcsim) that makes a second session.
    if (e.workflowTaskTimedOutEventAttributes) retried.push('workflow task timed out');
    if (e.workflowTaskFailedEventAttributes) retried.push('workflow task failed');
    const started = e.activityTaskStartedEventAttributes;
    const activity = started && scheduled.get(String(started.scheduledEventId));
    if (!started || !activity) continue;
    if ((started.attempt ?? 1) > 1) retried.push(`${activity.name} x${started.attempt}`);
    if (!TRANSFERS.has(activity.name)) continue;
    retries += Math.max(0, (started.attempt ?? 1) - 1);
    identities.push(started.identity ?? '');
    queues.push(activity.queue);
  }
  return { retries, identities, queues, retried };
}

/** The library's items by name, to tell a half-created item from none. */
async function itemsByName(saga: Saga): Promise<Map<string, string>> {
  const { rest, library } = saga.server;
  const ids = await rest.listLibraryItems(library.id);
  return new Map(
    await Promise.all(ids.map(async (id) => [(await rest.getLibraryItem(id)).name, id] as const)),
  );
}

async function partFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.part') || n.startsWith('.'));
}

const differs = (what: string, got: Expected[string] | undefined, want: Expected[string]) =>
  got?.size === want.size && got.sha1 === want.sha1
    ? []
    : [
        `${what}: ${got ? `${got.size} B sha1 ${got.sha1}` : 'missing'}, expected ${want.size} B sha1 ${want.sha1}`,
      ];

/** Waits for `saga` to end and checks what it left. */
export async function settle(client: Client, saga: Saga, fleet: WorkerFleet): Promise<SettledSaga> {
  const { server } = saga;
  const settled: SettledSaga = {
    saga,
    outcome: 'completed',
    problems: [],
    retryAllowance: 0,
    retries: 0,
    retried: [],
    sessionIds: [],
  };
  const fileSize = (name: string) => Object.values(saga.expected[name] ?? {})[0]?.size ?? 0;
  const count = async (handle: WorkflowHandle, size: number) => {
    const a = await transferAttempts(handle);
    settled.retries += a.retries;
    settled.retried.push(...a.retried);
    settled.retryAllowance += a.retries * size;
    return a;
  };
  let result: unknown;
  try {
    result = await saga.handle.result();
  } catch (err) {
    settled.failure = `${(err as Error).message}: ${String((err as { cause?: Error }).cause?.message)}`;
  }
  settled.sessionIds = (result as { sessionIds?: string[] } | undefined)?.sessionIds ?? [];

  if (saga.kind === 'upload') {
    await count(saga.handle, saga.bytes);
    if (!settled.failure) {
      const back = await readItemBack(server.rest, (result as UploadResult).itemId);
      const [name, want] = Object.entries(saga.expected[saga.name]!)[0]!;
      settled.problems.push(...differs(`${saga.name}/${name}`, back[name], want));
    } else if ((await itemsByName(saga)).has(saga.name)) {
      settled.problems.push(`item ${saga.name} left behind`);
    }
  } else if (saga.kind === 'download') {
    const a = await count(saga.handle, saga.bytes);
    const r = result as DownloadResult | undefined;
    const queue = r?.hostTaskQueue ?? a.queues[0] ?? '';
    settled.host = fleet.hostIds.findIndex((_, i) => fleet.hostTaskQueue(i) === queue);
    const wrongQueue = a.queues.filter((q) => q !== queue);
    const elsewhere = a.identities.filter((id) => fleet.hostOf(id) !== settled.host);
    if (wrongQueue.length > 0) settled.problems.push(`transfers on ${wrongQueue.join(', ')}, not ${queue}`);
    if (elsewhere.length > 0)
      settled.problems.push(`transfers run by ${elsewhere.join(', ')}, not host ${queue}`);
    if (r) {
      const disk = fleet.disks[settled.host];
      const where = await realpath(r.destination);
      if (!disk || !where.startsWith(disk + sep))
        settled.problems.push(`files in ${where}, not on the disk of ${queue}`);
      settled.resumed = r.files.filter((f) => f.resumed).map((f) => f.name);
      settled.resumedFrom = Math.max(0, ...r.files.map((f) => f.resumedFrom));
      for (const [name, want] of Object.entries(saga.expected[saga.name]!)) {
        const got = { size: want.size, sha1: await sha1OfFile(join(where, name)).catch(() => 'missing') };
        settled.problems.push(...differs(`${saga.name} on disk`, got, want));
      }
      const leftovers = await partFiles(where);
      if (leftovers.length > 0) settled.problems.push(`left ${leftovers.join(', ')}`);
    } else {
      for (const disk of fleet.disks) {
        const leftovers = await partFiles(join(disk, server.name, saga.name));
        if (leftovers.length > 0) settled.problems.push(`left ${leftovers.join(', ')} in ${disk}`);
      }
    }
  } else {
    const r = result as SyncResult | undefined;
    for (const name of Object.keys(saga.expected)) {
      await count(
        client.workflow.getHandle(syncItemWorkflowId(saga.handle.workflowId, name)),
        fileSize(name),
      ).catch(() => undefined);
    }
    if (r && r.failed.length > 0) {
      settled.failure = `items failed: ${r.failed.map((f) => `${f.name}: ${f.reason}`).join('; ')}`;
    }
    const items = await itemsByName(saga);
    for (const [name, files] of Object.entries(saga.expected)) {
      const failedHere = !r || r.failed.some((f) => f.name === name);
      if (failedHere) {
        if (items.has(name)) settled.problems.push(`item ${name} of a failed sync left behind`);
        continue;
      }
      const id = items.get(name);
      const back = id ? await readItemBack(server.rest, id) : {};
      for (const [file, want] of Object.entries(files))
        settled.problems.push(...differs(`${name}/${file}`, back[file], want));
    }
  }
  // A completed saga whose bytes differ, or a failed one that left something behind, lost work.
  settled.outcome = settled.problems.length > 0 ? 'lost' : settled.failure ? 'compensated' : 'completed';
  return settled;
}
