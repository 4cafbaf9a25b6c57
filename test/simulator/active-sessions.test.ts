/**
 * The simulator's count of concurrently ACTIVE sessions (update + download): an instrument for
 * tests of clo's fleet-wide limits (maxConcurrentTransfers), not a documented rule.
 */
import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import { fixture, uploadFiles } from './helpers';

describe('simulator: concurrently ACTIVE sessions', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  it('counts ACTIVE update and download sessions, keeps the peak, and restarts it on reset', async () => {
    const { client, libraryId, itemId } = await fixture(sim);
    await uploadFiles(client, itemId, { 'a.bin': 'abc' }); // ACTIVE, then DONE
    expect(sim.stats.activeSessions).toBe(0);
    expect(sim.stats.peakActiveSessions).toBe(1);
    sim.stats.reset();
    expect(sim.stats.peakActiveSessions).toBe(0);

    const other = await client.createItem(libraryId, undefined, 'iso');
    const third = await client.createItem(libraryId, undefined, 'iso');
    const id = (res: { body: unknown }) => (res.body as { value: string }).value;
    const update = id(await client.createUpdateSession(other));
    id(await client.createDownloadSession(itemId));
    id(await client.createUpdateSession(third));
    expect(sim.stats.activeSessions).toBe(3);
    expect(sim.stats.peakActiveSessions).toBe(3);

    // Ending one lowers the count, not the peak; a reset starts the peak from what is live.
    await client.ok('POST', `/content/library/item/update-session/id:${update}`, { action: 'cancel' });
    expect(sim.stats.activeSessions).toBe(2);
    expect(sim.stats.peakActiveSessions).toBe(3);
    sim.stats.reset();
    expect(sim.stats.peakActiveSessions).toBe(2);
    const snapshot = (await (await fetch(`${sim.url}/__sim/stats`)).json()) as Record<string, unknown>;
    expect(snapshot).toMatchObject({ activeSessions: 2, peakActiveSessions: 2 });
  });
});
