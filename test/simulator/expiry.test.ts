import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import type { RawClient, UpdateFileInfo } from './helpers';
import { expectVapiError, fixture, sleep, streamingPut, uploadFiles, writeChunk } from './helpers';

// Long enough that a pause of a few hundred milliseconds on a loaded CI machine (two cores,
// Jest workers beside the servers) does not expire a session a test still needs; at 400 ms the
// margins were 150–300 ms.
const IDLE = 1000;

describe('simulator: session expiry', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator({ sessionIdleTimeoutMs: IDLE, prepareDelayMs: 0 });
  });
  afterAll(() => sim.close());

  async function session(): Promise<{ client: RawClient; itemId: string; sessionId: string }> {
    const { client, itemId } = await fixture(sim);
    const res = await client.createUpdateSession(itemId);
    return { client, itemId, sessionId: (res.body as { value: string }).value };
  }
  const state = async (client: RawClient, id: string): Promise<number> =>
    (await client.getUpdateSession(id)).status;

  it('deletes an update session after the idle timeout; get/list do not count as activity', async () => {
    const { client, sessionId, itemId } = await session();
    const started = Date.now();
    while (Date.now() - started < IDLE / 2) {
      expect(await state(client, sessionId)).toBe(200);
      await sleep(50);
    }
    await sleep(started + IDLE + 300 - Date.now());
    expectVapiError(await client.getUpdateSession(sessionId), 404, 'not_found', 'SESSION_NOT_FOUND');
    expect(sim.stats.sessions().find((s) => s.id === sessionId)).toMatchObject({
      ended: 'expired',
      state: 'ACTIVE',
    });
    // The item is free again.
    expect((await client.createUpdateSession(itemId)).status).toBe(200);
  });

  it('keep-alive resets the clock and moves expiration_time', async () => {
    const { client, sessionId } = await session();
    const first = ((await client.getUpdateSession(sessionId)).body as { value: { expiration_time: string } })
      .value.expiration_time;
    for (let i = 0; i < 8; i++) {
      await sleep(IDLE / 4);
      expect((await client.updateSessionAction(sessionId, 'keep-alive')).status).toBe(200);
    }
    const later = ((await client.getUpdateSession(sessionId)).body as { value: { expiration_time: string } })
      .value.expiration_time;
    expect(Date.parse(later)).toBeGreaterThan(Date.parse(first) + IDLE);
    expect(Date.parse(later) - Date.now()).toBeLessThanOrEqual(IDLE);
  });

  it('counts bytes flowing on one long PUT as activity', async () => {
    const { client, sessionId } = await session();
    const added = await client.addFile(sessionId, { name: 'slow.bin', source_type: 'PUSH', size: 12 * 1024 });
    const uri = (added.body as { value: UpdateFileInfo }).value.upload_endpoint?.uri ?? '';
    const { req, done } = streamingPut(uri, client.token ?? '', 12 * 1024);
    for (let i = 0; i < 12; i++) {
      await writeChunk(req, Buffer.alloc(1024, i));
      await sleep(IDLE / 4); // 12 x IDLE / 4 = 3 idle timeouts
    }
    req.end();
    expect((await done).status).toBe(200);
    expect(await client.sessionFile(sessionId, 'slow.bin')).toMatchObject({
      status: 'READY',
      bytes_transferred: 12 * 1024,
    });
    expect((await client.updateSessionAction(sessionId, 'complete')).status).toBe(200);
  });

  it('expires a session whose PUT stalls, aborting the transfer and removing its temp file', async () => {
    const { client, sessionId } = await session();
    const added = await client.addFile(sessionId, { name: 'stall.bin', source_type: 'PUSH' });
    const uri = (added.body as { value: UpdateFileInfo }).value.upload_endpoint?.uri ?? '';
    const { req, done } = streamingPut(uri, client.token ?? '', 1 << 20);
    await writeChunk(req, Buffer.alloc(1024));
    await expect(done).rejects.toThrow();
    expectVapiError(await client.getUpdateSession(sessionId), 404, 'not_found');
    const transferId = new URL(uri).pathname.split('/').at(-2) ?? '';
    expect(fs.existsSync(path.join(sim.dataDir, '.uploads', transferId))).toBe(false);
  });

  it('deletes DONE sessions after the same timeout', async () => {
    const { client, sessionId } = await session();
    await client.updateSessionAction(sessionId, 'complete');
    expect(await state(client, sessionId)).toBe(200);
    await sleep(IDLE + 150);
    expect(await state(client, sessionId)).toBe(404);
  });

  it('expires download sessions too, and bytes flowing on a GET keep one alive', async () => {
    // The set-up (a 48 MiB upload, two sessions, a prepare) runs under a long timeout: on a loaded
    // machine a pause of 400 ms between its steps happens, and expired the session before the property
    // under test began (a CI run failed so). The short timeout starts with the GET's first bytes.
    sim.setSessionIdleTimeout(60_000);
    try {
      const { client, itemId } = await fixture(sim);
      // Big enough that the server is still sending well past 2 × IDLE even when the kernel's
      // socket buffers on both ends take ~10 MiB of it at once (at 16 MiB a CI run saw the server
      // finish 292 ms after the first bytes, so no check came late enough).
      const size = 48 << 20;
      await uploadFiles(client, itemId, { 'big.bin': Buffer.alloc(size, 3) });
      const idle = ((await client.createDownloadSession(itemId)).body as { value: string }).value;
      const busy = ((await client.createDownloadSession(itemId)).body as { value: string }).value;
      await client.prepare(busy, 'big.bin');
      const info = await client.waitPrepared(busy, 'big.bin');
      let started = 0;
      // While the server is still sending (the kernel buffers part of the file), the session must live on
      // past several idle timeouts; get does not count as activity, so only the GET bytes keep it alive.
      const checks: Array<{ at: number; status: number }> = [];
      const poller = setInterval(() => {
        if (started === 0 || sim.stats.bytesSent(busy) >= size) return;
        const at = Date.now() - started;
        void client.getDownloadSession(busy).then((r) => checks.push({ at, status: r.status }));
      }, 100);
      const received = await new Promise<number>((resolve, reject) => {
        http
          .get(
            info.download_endpoint?.uri ?? '',
            { headers: { 'vmware-api-session-id': client.token ?? '' }, agent: false },
            (res) => {
              let n = 0;
              res.on('data', (c: Buffer) => {
                if (started === 0) {
                  sim.setSessionIdleTimeout(IDLE);
                  started = Date.now();
                }
                n += c.length;
                // Read ~512 KiB per 60 ms (~5.7 s for 48 MiB): the transfer lasts well beyond the idle timeout.
                if (n % (512 * 1024) < c.length) {
                  res.pause();
                  setTimeout(() => res.resume(), 60);
                }
              });
              res.on('end', () => resolve(n));
              res.on('error', reject);
            },
          )
          .on('error', reject);
      });
      clearInterval(poller);
      expect(received).toBe(size);
      expect(checks.every((c) => c.status === 200)).toBe(true);
      expect(Math.max(...checks.map((c) => c.at))).toBeGreaterThan(2 * IDLE);
      // The other session saw no activity since its create, long before the short timeout began.
      expectVapiError(await client.getDownloadSession(idle), 404, 'not_found');
    } finally {
      sim.setSessionIdleTimeout(IDLE);
    }
  });

  it('expireSession() fault ends a session at once', async () => {
    const { client, sessionId } = await session();
    sim.faults.expireSession(sessionId);
    expectVapiError(await client.getUpdateSession(sessionId), 404, 'not_found');
    expect(() => sim.faults.expireSession(sessionId)).toThrow(/no live/);
  });
});
