import http from 'node:http';
import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import { simulatorControl } from './control-client';
import type { DownloadFileInfo, RawClient, UpdateFileInfo } from './helpers';
import { expectVapiError, fixture, sha1, sleep, uploadFiles } from './helpers';

const CONTENT = Buffer.alloc(256 * 1024, 'a');

/** GET with node:http, reporting how many body bytes arrived before the end or the cut. */
function getBytes(
  uri: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: number; complete: boolean; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(uri, { agent: false, headers: { 'vmware-api-session-id': token, ...headers } }, (res) => {
        let bytes = 0;
        const result = (complete: boolean) =>
          resolve({ status: res.statusCode ?? 0, bytes, complete, headers: res.headers });
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => result(res.complete));
        res.on('error', () => result(false));
        res.on('aborted', () => result(false));
      })
      .on('error', reject);
  });
}

describe('simulator: fault injection and observability', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator({ prepareDelayMs: 20 });
  });
  afterEach(() => sim.faults.clear());
  afterAll(() => sim.close());

  async function pushSession(): Promise<{
    client: RawClient;
    itemId: string;
    sessionId: string;
    add: (name: string) => Promise<string>;
  }> {
    const { client, itemId } = await fixture(sim);
    const sessionId = ((await client.createUpdateSession(itemId)).body as { value: string }).value;
    const add = async (name: string): Promise<string> =>
      ((await client.addFile(sessionId, { name, source_type: 'PUSH' })).body as { value: UpdateFileInfo })
        .value.upload_endpoint?.uri ?? '';
    return { client, itemId, sessionId, add };
  }
  async function preparedDownload(files: Record<string, Buffer | string> = { 'data.bin': CONTENT }): Promise<{
    client: RawClient;
    sessionId: string;
    itemId: string;
    info: (name: string) => Promise<DownloadFileInfo>;
  }> {
    const { client, itemId } = await fixture(sim);
    await uploadFiles(client, itemId, files);
    const sessionId = ((await client.createDownloadSession(itemId)).body as { value: string }).value;
    const info = async (name: string): Promise<DownloadFileInfo> => {
      await client.prepare(sessionId, name);
      return client.waitPrepared(sessionId, name);
    };
    return { client, sessionId, itemId, info };
  }

  it('resetTransfer cuts the next PUT of the named file after N bytes; the file goes to ERROR', async () => {
    const { client, sessionId, add } = await pushSession();
    const other = await add('other.bin');
    const target = await add('target.bin');
    const handle = sim.faults.resetTransfer({ direction: 'put', afterBytes: 1000, fileName: 'target.bin' });
    expect((await client.put(other, CONTENT)).status).toBe(200);
    await expect(client.put(target, CONTENT)).rejects.toThrow();
    await sleep(20);
    const f = await client.sessionFile(sessionId, 'target.bin');
    expect(f).toMatchObject({ status: 'ERROR', bytes_transferred: 1000 });
    expect(handle.remaining).toBe(0);
    expect(sim.faults.list()).toEqual([]);
    // One-shot: the retry goes through.
    expect((await client.put(target, CONTENT)).status).toBe(200);
  });

  it('resetTransfer cuts the next GET after exactly N bytes', async () => {
    const { client, info } = await preparedDownload();
    const uri = (await info('data.bin')).download_endpoint?.uri ?? '';
    sim.faults.resetTransfer({ direction: 'get', afterBytes: 5000 });
    const cut = await getBytes(uri, client.token ?? '');
    expect(cut).toMatchObject({ status: 200, bytes: 5000, complete: false });
    const whole = await getBytes(uri, client.token ?? '');
    expect(whole).toMatchObject({ bytes: CONTENT.length, complete: true });
  });

  it('failNext answers the next N calls of an operation with the given kind or status', async () => {
    const { client, itemId } = await fixture(sim);
    sim.faults.failNext({
      operation: 'updatesession.create',
      count: 2,
      kind: 'service_unavailable',
      message: 'maintenance',
    });
    const first = expectVapiError(
      await client.createUpdateSession(itemId),
      503,
      'service_unavailable',
      'FAULT',
    );
    expect(first.value.messages[0]?.default_message).toBe('maintenance');
    expectVapiError(await client.createUpdateSession(itemId), 503, 'service_unavailable');
    const sessionId = ((await client.createUpdateSession(itemId)).body as { value: string }).value;
    sim.faults.failNext({ operation: 'file.add', status: 500 });
    expectVapiError(
      await client.addFile(sessionId, { name: 'a', source_type: 'PUSH' }),
      500,
      'internal_server_error',
    );
    sim.faults.failNext({ operation: 'updatesession.keep-alive', kind: 'unauthenticated' });
    expectVapiError(await client.updateSessionAction(sessionId, 'keep-alive'), 401, 'unauthenticated');
    sim.faults.failNext({ operation: 'updatesession.complete', kind: 'resource_busy', status: 409 });
    expectVapiError(await client.updateSessionAction(sessionId, 'complete'), 409, 'resource_busy');
    // Nothing happened: the session is still ACTIVE and completes now.
    expect((await client.updateSessionAction(sessionId, 'complete')).status).toBe(200);
    expect(() => sim.faults.failNext({ operation: 'updatesession.compelte' })).toThrow(
      /unknown simulator operation/,
    );
  });

  it('failNext can drop the connection instead of answering', async () => {
    const { client, itemId } = await fixture(sim);
    sim.faults.failNext({ operation: 'downloadsession.create', dropConnection: true });
    await expect(client.createDownloadSession(itemId)).rejects.toThrow();
    expect((await client.createDownloadSession(itemId)).status).toBe(200);
  });

  it('addLatency delays one operation (the server answers nothing meanwhile)', async () => {
    const { client, itemId } = await fixture(sim);
    sim.faults.addLatency({ operation: 'item.get', ms: 400, count: 1 });
    const t0 = Date.now();
    await client.value('GET', '/content/library');
    expect(Date.now() - t0).toBeLessThan(300);
    await expect(
      fetch(`${sim.url}/rest/com/vmware/content/library/item/id:${itemId}`, {
        headers: { 'vmware-api-session-id': client.token ?? '' },
        signal: AbortSignal.timeout(150),
      }),
    ).rejects.toThrow();
    await sleep(300);
    const t1 = Date.now();
    await client.getItem(itemId);
    expect(Date.now() - t1).toBeLessThan(300);
  });

  it('failPrepare ends the next prepare of a file in ERROR; a new prepare succeeds', async () => {
    const { client, sessionId, info } = await preparedDownload();
    sim.faults.failPrepare({ fileName: 'data.bin', message: 'backing store offline' });
    const failed = await info('data.bin');
    expect(failed).toMatchObject({
      status: 'ERROR',
      error_message: { default_message: 'backing store offline' },
    });
    expect(failed.download_endpoint).toBeUndefined();
    expect((await info('data.bin')).status).toBe('PREPARED');
    expect((await client.downloadFile(sessionId, 'data.bin')).error_message).toBeUndefined();
  });

  it('corruptChecksum makes reported checksums wrong until cleared', async () => {
    const { client, sessionId, itemId, info } = await preparedDownload();
    const uri = (await info('data.bin')).download_endpoint?.uri ?? '';
    await (await client.fetchData(uri)).arrayBuffer();
    const handle = sim.faults.corruptChecksum({ fileName: 'data.bin' });
    const reported = (await client.downloadFile(sessionId, 'data.bin')).checksum_info?.checksum;
    expect(reported).toHaveLength(40);
    expect(reported).not.toBe(sha1(CONTENT));
    expect((await client.listItemFiles(itemId))[0]?.checksum_info.checksum).not.toBe(sha1(CONTENT));
    handle.clear();
    expect((await client.downloadFile(sessionId, 'data.bin')).checksum_info?.checksum).toBe(sha1(CONTENT));
  });

  it('hostileFileName adds a traversal name to download-session file lists, and serves it', async () => {
    const { client, sessionId, info } = await preparedDownload();
    sim.faults.hostileFileName({ name: '../evil' });
    const names = (
      await client.value<DownloadFileInfo[]>('GET', '/content/library/item/downloadsession/file', {
        query: { download_session_id: sessionId },
      })
    ).map((f) => f.name);
    expect(names).toEqual(['data.bin', '../evil']);
    const evil = await info('../evil');
    expect(evil.download_endpoint?.uri).toContain('..%2Fevil');
    expect(await (await client.fetchData(evil.download_endpoint?.uri ?? '')).text()).toBe('evil\n');
  });

  it('disableRange serves the whole file with 200 and no Accept-Ranges', async () => {
    const { client, info } = await preparedDownload();
    const uri = (await info('data.bin')).download_endpoint?.uri ?? '';
    sim.faults.disableRange();
    const res = await getBytes(uri, client.token ?? '', { range: 'bytes=100-199' });
    expect(res).toMatchObject({ status: 200, bytes: CONTENT.length });
    expect(res.headers['accept-ranges']).toBeUndefined();
    sim.faults.clear();
    expect(await getBytes(uri, client.token ?? '', { range: 'bytes=100-199' })).toMatchObject({
      status: 206,
      bytes: 100,
    });
  });

  it('limitRate paces GET bodies at the given rate until cleared', async () => {
    const { client, info } = await preparedDownload();
    const uri = (await info('data.bin')).download_endpoint?.uri ?? '';
    sim.faults.limitRate({ bytesPerSecond: CONTENT.length * 2, fileName: 'data.bin' });
    let started = Date.now();
    expect(await getBytes(uri, client.token ?? '')).toMatchObject({ status: 200, bytes: CONTENT.length });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    sim.faults.clear();
    started = Date.now();
    await getBytes(uri, client.token ?? '');
    expect(Date.now() - started).toBeLessThan(400);
  });

  it("limitRate with direction 'put' reads each PUT at the given rate, and leaves GETs alone", async () => {
    const { client, add } = await pushSession();
    sim.faults.limitRate({ bytesPerSecond: CONTENT.length, direction: 'put' });
    let started = Date.now();
    await client.put(await add('slow.bin'), CONTENT);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    // Two PUTs at once each get the whole rate: a per-stream ceiling, not a shared one.
    started = Date.now();
    await Promise.all([client.put(await add('a.bin'), CONTENT), client.put(await add('b.bin'), CONTENT)]);
    // Shared, the pair would take 2 s.
    expect(Date.now() - started).toBeLessThan(1800);
    const { client: c2, info } = await preparedDownload();
    started = Date.now();
    await getBytes((await info('data.bin')).download_endpoint?.uri ?? '', c2.token ?? '');
    expect(Date.now() - started).toBeLessThan(400);
    sim.faults.clear();
  });

  it('counts calls, bytes per session, sessions with state, and peak concurrency', async () => {
    sim.stats.reset();
    const { client, sessionId, add } = await pushSession();
    expect(sim.stats.calls('updatesession.create')).toBe(1);
    await client.put(await add('x.bin'), CONTENT);
    expect(sim.stats.bytesReceived(sessionId)).toBe(CONTENT.length);
    await client.updateSessionAction(sessionId, 'complete');
    expect(sim.stats.sessions().find((s) => s.id === sessionId)).toMatchObject({
      kind: 'update',
      state: 'DONE',
    });
    const { client: c2, sessionId: dl, info } = await preparedDownload();
    await (await c2.fetchData((await info('data.bin')).download_endpoint?.uri ?? '')).arrayBuffer();
    expect(sim.stats.bytesSent(dl)).toBe(CONTENT.length);
    sim.stats.reset();
    sim.faults.addLatency({ operation: 'library.list', ms: 150 });
    await Promise.all(Array.from({ length: 5 }, () => c2.value('GET', '/content/library')));
    expect(sim.stats.peakConcurrentRequests).toBeGreaterThanOrEqual(5);
    expect(sim.stats.calls('library.list')).toBe(5);
  });

  it('exposes the same faults and stats over the /__sim/ HTTP control API', async () => {
    const control = simulatorControl(sim.url);
    expect(await control.info()).toMatchObject({ url: sim.url, datastore: sim.datastoreId });
    const { client, itemId } = await fixture(sim);
    const id = await control.failNext({ operation: 'updatesession.create', kind: 'service_unavailable' });
    expect((await control.faults()).map((f) => f.id)).toEqual([id]);
    expectVapiError(await client.createUpdateSession(itemId), 503, 'service_unavailable');
    const sessionId = ((await client.createUpdateSession(itemId)).body as { value: string }).value;
    expect((await control.stats()).sessions.find((s) => s.id === sessionId)?.state).toBe('ACTIVE');
    await control.expireSession(sessionId);
    expectVapiError(await client.getUpdateSession(sessionId), 404, 'not_found');
    await control.invalidateLogins();
    expectVapiError(await client.request('GET', '/content/library'), 401, 'unauthenticated');
    await client.login();
    await control.disableRange();
    await control.clearFaults();
    expect(await control.faults()).toEqual([]);
    await control.configure({ prepareDelayMs: 5 });
    expect((await control.info()).prepareDelayMs).toBe(5);
    await expect(control.failNext({ operation: 'nope' })).rejects.toThrow(/400.*unknown simulator operation/);
    await expect(control.resetTransfer({ afterBytes: -1 })).rejects.toThrow(/400/);
  });
});
