/**
 * The small-item workloads bench:many and bench:fleet both time: a batch of tiny uploads
 * started at once from the client API, and one catalog sync run, each on a given client and
 * task queue (a dev server or a cluster, one worker or a fleet behind it).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { startSync, type SyncResult } from '../client/sync';
import { startUpload } from '../client/upload';
import type { CloConfig } from '../temporal.config';
import { writeRandomFile } from '../test/fixtures/content';

/** Size of each tiny upload and catalog item: small enough that only the control plane counts. */
export const TINY = 1024;

/** The innermost message of a failure chain (WorkflowFailedError → ActivityFailure → ApplicationFailure). */
export function rootCause(err: unknown): string {
  let e = err as { message?: string; cause?: unknown };
  while (e.cause) e = e.cause;
  return e.message ?? String(err);
}

/**
 * Starts `n` uploads of `path` at once, each into its own new item `<prefix>-<i>` of the
 * library `libraryId` on vCenter `bench`, and waits for all of them. Returns the root cause of
 * each one that failed: a failure is counted and named, not fatal, since heavy load is when
 * they show.
 */
export async function uploadBatch(
  client: Client,
  config: CloConfig,
  libraryId: string,
  path: string,
  prefix: string,
  n: number,
): Promise<string[]> {
  const handles = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      startUpload(
        client,
        {
          vcenter: 'bench',
          library: { id: libraryId },
          item: { name: `${prefix}-${i}` },
          source: { kind: 'file', path },
        },
        { taskQueue: config.temporal.taskQueue, config },
      ),
    ),
  );
  const results = await Promise.allSettled(handles.map((h) => h.result()));
  return results.flatMap((r) => (r.status === 'rejected' ? [rootCause(r.reason)] : []));
}

/** Writes a catalog directory of `items` distinct tiny ISOs (item-00000.iso, …) and returns its path. */
export async function writeCatalog(dir: string, items: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < items; i++)
    await writeRandomFile(join(dir, `item-${String(i).padStart(5, '0')}.iso`), TINY, `many-${i}`);
  return dir;
}

/**
 * One `syncLibrary` run of `catalog` into the library named `library`; throws unless every one
 * of the `items` ended as `expect` (added on the first run, unchanged on the second).
 */
export async function syncOnce(
  client: Client,
  config: CloConfig,
  library: string,
  catalog: string,
  itemConcurrency: number,
  expect: keyof SyncResult['counts'],
  items: number,
): Promise<void> {
  const handle = await startSync(
    client,
    {
      vcenter: 'bench',
      library: { name: library },
      source: { kind: 'catalog', path: catalog },
      options: { itemConcurrency },
    },
    { taskQueue: config.temporal.taskQueue, config },
  );
  const result = await handle.result();
  if (result.counts[expect] !== items || result.counts.failed)
    throw new Error(`sync expected ${items} ${expect}, got ${JSON.stringify(result.counts)}`);
}
