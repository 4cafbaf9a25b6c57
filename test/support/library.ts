/** Test helpers on the real REST client: libraries to upload into, and reading items back. */
import { createCipheriv, createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ContentLibraryClient } from '../../activities/content-library';

/** A client for a test server (vcsim accepts any credentials; the simulator is configured with these). */
export function restClient(
  url: string,
  opts: { username?: string; password?: string } = {},
): ContentLibraryClient {
  return new ContentLibraryClient({
    url,
    username: opts.username ?? 'user',
    password: opts.password ?? 'pass',
  });
}

/** Creates a uniquely named local library on `datastore`. */
export async function createTestLibrary(
  client: ContentLibraryClient,
  datastore: string,
  prefix = 'lib',
): Promise<{ id: string; name: string }> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  const id = await client.createLibrary({ name, datastore_id: datastore }, randomUUID());
  return { id, name };
}

/** Downloads every file of an item through a download session; returns name → {size, sha1}. */
export async function readItemBack(
  client: ContentLibraryClient,
  itemId: string,
): Promise<Record<string, { size: number; sha1: string }>> {
  const sessionId = await client.createDownloadSession({ library_item_id: itemId }, randomUUID());
  try {
    const out: Record<string, { size: number; sha1: string }> = {};
    for (const file of await client.listDownloadSessionFiles(sessionId)) {
      let info = await client.prepareDownloadSessionFile(sessionId, file.name);
      for (let i = 0; info.status !== 'PREPARED' && i < 100; i++) {
        if (info.status === 'ERROR') throw new Error(`prepare of ${file.name} failed`);
        await new Promise((r) => setTimeout(r, 100));
        info = await client.getDownloadSessionFile(sessionId, file.name);
      }
      const res = await client.downloadFromEndpoint(info.download_endpoint!);
      const hash = createHash('sha1');
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      out[file.name] = { size, sha1: hash.digest('hex') };
    }
    return out;
  } finally {
    await client.deleteDownloadSession(sessionId).catch(() => undefined);
  }
}

/** Update sessions on an item (or all) with their states. */
export async function updateSessionStates(
  client: ContentLibraryClient,
  itemId?: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const id of await client.listUpdateSessions(itemId)) {
    try {
      // vcsim ignores the library_item_id filter: keep only this item's sessions.
      const session = await client.getUpdateSession(id);
      if (itemId === undefined || session.library_item_id === itemId) out[id] = session.state;
    } catch {
      // deleted between list and get
    }
  }
  return out;
}

const MiB = 1024 * 1024;

/**
 * Creates an item holding pseudo-random files generated in memory from `seed` (AES-CTR of
 * zeros, so any size costs no disk and a few MiB of memory), uploaded through a plain update
 * session (no saga); returns the item id and each file's size and SHA-1.
 */
export async function seedItem(
  client: ContentLibraryClient,
  libraryId: string,
  name: string,
  files: { name: string; size: number; seed: string }[],
): Promise<{ itemId: string; expected: Record<string, { size: number; sha1: string }> }> {
  const itemId = await client.createLibraryItem({ library_id: libraryId, name, type: 'file' }, randomUUID());
  const sessionId = await client.createUpdateSession({ library_item_id: itemId }, randomUUID());
  const expected: Record<string, { size: number; sha1: string }> = {};
  for (const f of files) {
    const info = await client.addUpdateSessionFile(sessionId, {
      name: f.name,
      source_type: 'PUSH',
      size: f.size,
    });
    const sha1 = createHash('sha1');
    const cipher = createCipheriv(
      'aes-128-ctr',
      createHash('sha256').update(f.seed).digest().subarray(0, 16),
      Buffer.alloc(16),
    );
    const zeros = Buffer.alloc(MiB);
    function* bytes(): Generator<Buffer> {
      for (let left = f.size; left > 0; left -= MiB) {
        const chunk = cipher.update(zeros.subarray(0, Math.min(MiB, left)));
        sha1.update(chunk);
        yield chunk;
      }
    }
    await client.uploadToEndpoint(info.upload_endpoint!, Readable.from(bytes(), { objectMode: false }), {
      size: f.size,
    });
    expected[f.name] = { size: f.size, sha1: sha1.digest('hex') };
  }
  await client.completeUpdateSession(sessionId);
  for (let i = 0; (await client.getUpdateSession(sessionId)).state !== 'DONE'; i++) {
    if (i > 100) throw new Error('seed session never reached DONE');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { itemId, expected };
}

/** The order clo adds an OVF's files in: manifest and certificate before the descriptor (vCenter 6.8+ refuses them after it). */
export function metadataFirst(names: string[]): string[] {
  const metadata = (n: string) => /\.(mf|cert)$/i.test(n);
  return [...names.filter(metadata), ...names.filter((n) => !metadata(n))];
}
