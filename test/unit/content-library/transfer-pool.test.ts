/**
 * Control calls never queue behind transfers: the client sends file bytes through a pool of
 * its own, so a full pool of stalled PUTs (a slow datastore, TCP back-pressure) cannot hold a
 * saga's keep_alive, a login or a list until its session expires. Against the simulator, with
 * real sockets: the uploads below send one chunk each and then wait, holding their connection.
 */
import {
  ContentLibraryClient,
  DEFAULT_CONNECTIONS,
  TRANSFER_CONNECTIONS,
} from '../../../activities/content-library';
import { startSimulator, type ContentLibrarySimulator } from '../../simulator';
import { waitFor } from '../../support/polling';

/** What "promptly" means here: a local call takes milliseconds; a queued one waits for a transfer to end. */
const PROMPT_MS = 2000;

async function within<T>(what: string, ms: number, call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('ContentLibraryClient connection pools', () => {
  let sim: ContentLibrarySimulator;
  let client: ContentLibraryClient;
  const stop = new AbortController();
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const uploads: Array<Promise<unknown>> = [];

  beforeAll(async () => {
    sim = await startSimulator();
    client = new ContentLibraryClient({ url: sim.url, username: 'user', password: 'pass' });
  });
  afterAll(async () => {
    stop.abort(new Error('test over'));
    release();
    await Promise.allSettled(uploads);
    await client?.close();
    await sim?.close();
  });

  it('answers keep_alive, a list and a fresh login promptly while every transfer connection is busy', async () => {
    const libraryId = await client.createLibrary({ name: 'pools', datastore_id: sim.datastoreId });
    const itemId = await client.createLibraryItem({ library_id: libraryId, name: 'stalled', type: 'iso' });
    const sessionId = await client.createUpdateSession({ library_item_id: itemId });
    const size = 1024 * 1024;
    const puts = () => sim.stats.calls('transfer.put');

    // One more upload than the transfer pool has connections: the last one must wait for a
    // connection, the pool is full. Files first: adding one is a control call too.
    const endpoints = [];
    for (let i = 0; i <= TRANSFER_CONNECTIONS; i++) {
      const info = await client.addUpdateSessionFile(sessionId, {
        name: `stalled-${i}.bin`,
        source_type: 'PUSH',
        size,
      });
      endpoints.push(info.upload_endpoint!);
    }
    for (const endpoint of endpoints) {
      async function* stalled(): AsyncGenerator<Uint8Array> {
        yield Buffer.alloc(64 * 1024, 1);
        await released;
      }
      uploads.push(
        client.uploadToEndpoint(endpoint, stalled(), { size, signal: stop.signal }).catch(() => undefined),
      );
    }

    // Enough stalled PUTs to fill a pool of the control plane's size: had both shared one
    // pool, every control call from here on would wait behind them.
    await waitFor('stalled PUTs to fill a control-sized pool', () => puts() >= DEFAULT_CONNECTIONS, 20_000);
    await within('keep_alive', PROMPT_MS, client.keepAliveUpdateSession(sessionId, 10));
    await within('list libraries', PROMPT_MS, client.listLibraries());

    // The transfer pool itself is saturated: all its connections carry a stalled PUT.
    await waitFor('the transfer pool to be full', () => puts() === TRANSFER_CONNECTIONS, 20_000);
    await within('get update session', PROMPT_MS, client.getUpdateSession(sessionId));
    sim.invalidateLogins();
    await within('a call that must log in again', PROMPT_MS, client.listLibraries());
    // And it is full: the one upload beyond its size is still waiting for a connection.
    expect(puts()).toBe(TRANSFER_CONNECTIONS);
  });
});
