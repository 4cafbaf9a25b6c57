/** Helpers for the download saga's tests: what landed on disk, and which download sessions are left. */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { ContentLibraryClient } from '../../activities/content-library';
import { waitFor } from './polling';
import type { Target } from './targets';

export { failureOf } from './failures';

/** SHA-1 of a file, streamed. */
export async function sha1OfFile(path: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** Names in a directory, sorted ([] when it does not exist). */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** Ids of the download sessions the server still has (vcsim ignores the item filter, so ask for all). */
export async function liveDownloadSessions(rest: ContentLibraryClient): Promise<string[]> {
  return await rest.listDownloadSessions();
}

/**
 * How many download sessions the target has created so far (simulator: its call counter; vcsim:
 * the live ones on `itemId`, since other test files use vcsim at the same time).
 */
export async function downloadSessionCreates(
  target: Target,
  rest: ContentLibraryClient,
  itemId: string,
): Promise<number> {
  if (target.sim) return target.sim.stats.calls('downloadsession.create');
  const items = await Promise.all(
    (await liveDownloadSessions(rest)).map(async (id) =>
      rest.getDownloadSession(id).then(
        (s) => s.library_item_id,
        () => undefined,
      ),
    ),
  );
  return items.filter((item) => item === itemId).length;
}

/**
 * Puts a local file into a new item straight through the REST client, at full speed and
 * without a worker (tests whose workers are processes with throttled transfers).
 */
export async function putItem(
  rest: ContentLibraryClient,
  libraryId: string,
  itemName: string,
  path: string,
  size: number,
): Promise<string> {
  const itemId = await rest.createLibraryItem({ library_id: libraryId, name: itemName }, randomUUID());
  const sessionId = await rest.createUpdateSession({ library_item_id: itemId }, randomUUID());
  const name = path.split('/').pop()!;
  const info = await rest.addUpdateSessionFile(sessionId, { name, source_type: 'PUSH', size });
  await rest.uploadToEndpoint(info.upload_endpoint!, createReadStream(path), { size });
  await rest.completeUpdateSession(sessionId);
  // vcsim finishes `complete` in a goroutine.
  await waitFor(
    'the update session to be DONE',
    async () => (await rest.getUpdateSession(sessionId)).state === 'DONE',
    30_000,
  );
  return itemId;
}
