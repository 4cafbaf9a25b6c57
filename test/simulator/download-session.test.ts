import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import type { DownloadFileInfo, RawClient } from './helpers';
import { expectVapiError, fixture, sha1, sleep, uploadFiles } from './helpers';

const CONTENT = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

describe('simulator: download sessions', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator({ prepareDelayMs: 200 });
  });
  afterAll(() => sim.close());

  async function session(): Promise<{ client: RawClient; itemId: string; sessionId: string }> {
    const { client, itemId } = await fixture(sim);
    await uploadFiles(client, itemId, { 'data.bin': CONTENT, 'empty.bin': '' });
    const res = await client.createDownloadSession(itemId);
    expect(res.status).toBe(200);
    return { client, itemId, sessionId: (res.body as { value: string }).value };
  }
  async function prepared(
    client: RawClient,
    sessionId: string,
    name = 'data.bin',
  ): Promise<DownloadFileInfo> {
    await client.prepare(sessionId, name);
    const info = await client.waitPrepared(sessionId, name);
    expect(info.status).toBe('PREPARED');
    return info;
  }

  it('snapshots the item content_version and lists files UNPREPARED without endpoints', async () => {
    const { client, sessionId, itemId } = await session();
    const s = ((await client.getDownloadSession(sessionId)).body as { value: Record<string, unknown> }).value;
    expect(s).toMatchObject({
      library_item_id: itemId,
      library_item_content_version: '2',
      state: 'ACTIVE',
      client_progress: 0,
    });
    const files = await client.value<DownloadFileInfo[]>(
      'GET',
      '/content/library/item/downloadsession/file',
      { query: { download_session_id: sessionId } },
    );
    expect(files.map((f) => [f.name, f.status, f.download_endpoint, f.checksum_info])).toEqual([
      ['data.bin', 'UNPREPARED', undefined, undefined],
      ['empty.bin', 'UNPREPARED', undefined, undefined],
    ]);
  });

  it('progresses PREPARE_REQUESTED -> PREPARING -> PREPARED, and only then offers the endpoint', async () => {
    const { client, sessionId } = await session();
    const first = (await client.prepare(sessionId, 'data.bin')).body as { value: DownloadFileInfo };
    expect(first.value.status).toBe('PREPARE_REQUESTED');
    expect(first.value.download_endpoint).toBeUndefined();
    const seen = new Set<string>([first.value.status]);
    let info = first.value;
    while (info.status !== 'PREPARED') {
      await sleep(15);
      info = await client.downloadFile(sessionId, 'data.bin');
      seen.add(info.status);
      if (info.status !== 'PREPARED') expect(info.download_endpoint).toBeUndefined();
    }
    expect([...seen]).toEqual(['PREPARE_REQUESTED', 'PREPARING', 'PREPARED']);
    expect(info.download_endpoint?.uri).toMatch(new RegExp(`^${sim.url}/rest/com/vmware/cis/data/`));
    expect(info.size).toBe(CONTENT.length);
  });

  it('refuses a GET before PREPARED (not_allowed_in_current_state) and unknown file names', async () => {
    const { client, sessionId } = await session();
    // The URL has vcsim's shape, <session id>/<file name>, so a client can build it without preparing.
    const uri = `${sim.url}/rest/com/vmware/cis/data/${sessionId}/data.bin`;
    expectVapiError(
      await client.request('GET', uri),
      400,
      'not_allowed_in_current_state',
      'DS_PREPARE_REQUIRED',
    );
    const requested = (await client.prepare(sessionId, 'data.bin')).body as { value: DownloadFileInfo };
    expect(requested.value.download_endpoint).toBeUndefined();
    expectVapiError(
      await client.request('GET', uri),
      400,
      'not_allowed_in_current_state',
      'DS_PREPARE_REQUIRED',
    );
    const info = await client.waitPrepared(sessionId, 'data.bin');
    expect(info.download_endpoint?.uri).toBe(uri);
    expect((await client.fetchData(uri)).status).toBe(200);
    expectVapiError(await client.prepare(sessionId, 'nope.bin'), 400, 'invalid_argument', 'DS_UNKNOWN_FILE');
    expectVapiError(
      await client.request('POST', `/content/library/item/downloadsession/file/id:${sessionId}`, {
        action: 'get',
        body: { file_name: 'nope.bin' },
      }),
      400,
      'invalid_argument',
      'DS_UNKNOWN_FILE',
    );
    expectVapiError(
      await client.request('GET', `${sim.url}/rest/com/vmware/cis/data/${sessionId}/nope.bin`),
      404,
      'not_found',
    );
  });

  it('serves an empty file and reports its checksum after the GET', async () => {
    const { client, sessionId } = await session();
    const info = await prepared(client, sessionId, 'empty.bin');
    const res = await client.fetchData(info.download_endpoint?.uri ?? '');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect((await client.downloadFile(sessionId, 'empty.bin')).checksum_info).toEqual({
      algorithm: 'SHA1',
      checksum: sha1(''),
    });
  });

  it('serves the whole file, single ranges with 206/Content-Range, and 416 outside the file', async () => {
    const { client, sessionId } = await session();
    const uri = (await prepared(client, sessionId)).download_endpoint?.uri ?? '';
    const whole = await client.fetchData(uri);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(CONTENT);
    const mid = await client.fetchData(uri, { range: 'bytes=10-19' });
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe(`bytes 10-19/${CONTENT.length}`);
    expect(await mid.text()).toBe('abcdefghij');
    const open = await client.fetchData(uri, { range: 'bytes=30-' });
    expect(open.status).toBe(206);
    expect(await open.text()).toBe('uvwxyz');
    const suffix = await client.fetchData(uri, { range: 'bytes=-3' });
    expect(suffix.headers.get('content-range')).toBe(`bytes 33-35/${CONTENT.length}`);
    expect(await suffix.text()).toBe('xyz');
    const outside = await client.fetchData(uri, { range: 'bytes=100-' });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${CONTENT.length}`);
    await outside.arrayBuffer();
  });

  it('sets checksum_info only once the download is complete, ranged pieces included', async () => {
    const { client, sessionId } = await session();
    const uri = (await prepared(client, sessionId)).download_endpoint?.uri ?? '';
    await (await client.fetchData(uri, { range: 'bytes=0-9' })).arrayBuffer();
    let info = await client.downloadFile(sessionId, 'data.bin');
    expect(info.checksum_info).toBeUndefined();
    expect(info.bytes_transferred).toBe(10);
    await (await client.fetchData(uri, { range: 'bytes=10-' })).arrayBuffer();
    info = await client.downloadFile(sessionId, 'data.bin');
    expect(info.checksum_info).toEqual({ algorithm: 'SHA1', checksum: sha1(CONTENT) });
  });

  it('offers a DIRECT endpoint as a file:// URI of the stored file', async () => {
    const { client, sessionId } = await session();
    await client.prepare(sessionId, 'data.bin', 'DIRECT');
    const info = await client.waitPrepared(sessionId, 'data.bin');
    expect(info.download_endpoint?.uri).toMatch(/^file:\/\//);
    expect(fs.readFileSync(fileURLToPath(info.download_endpoint?.uri ?? ''))).toEqual(CONTENT);
  });

  it('keeps serving the content of its snapshot after the item changes', async () => {
    const { client, sessionId, itemId } = await session();
    await uploadFiles(client, itemId, { 'data.bin': 'replaced' });
    expect((await client.getItem(itemId)).content_version).toBe('3');
    const uri = (await prepared(client, sessionId)).download_endpoint?.uri ?? '';
    expect(Buffer.from(await (await client.fetchData(uri)).arrayBuffer())).toEqual(CONTENT);
  });

  it('cancel sets CANCELED (the session stays) and invalidates its URLs; then only delete works', async () => {
    const { client, sessionId } = await session();
    const uri = (await prepared(client, sessionId)).download_endpoint?.uri ?? '';
    expect((await client.downloadSessionAction(sessionId, 'cancel')).status).toBe(200);
    expect(
      ((await client.getDownloadSession(sessionId)).body as { value: { state: string } }).value.state,
    ).toBe('CANCELED');
    expectVapiError(await client.request('GET', uri), 404, 'not_found', 'DS_CANCEL');
    expectVapiError(
      await client.downloadSessionAction(sessionId, 'keep-alive'),
      400,
      'not_allowed_in_current_state',
      'DS_KEEP_ALIVE_ACTIVE',
    );
    expectVapiError(
      await client.downloadSessionAction(sessionId, 'cancel'),
      400,
      'not_allowed_in_current_state',
      'DS_CANCEL',
    );
    expectVapiError(
      await client.downloadSessionAction(sessionId, 'fail', { client_error_message: 'x' }),
      400,
      'not_allowed_in_current_state',
      'DS_FAIL',
    );
    expectVapiError(await client.prepare(sessionId, 'data.bin'), 400, 'not_allowed_in_current_state');
    expect(
      (await client.request('DELETE', `/content/library/item/download-session/id:${sessionId}`)).status,
    ).toBe(200);
    expectVapiError(await client.getDownloadSession(sessionId), 404, 'not_found');
  });

  it('fail sets ERROR with the client message', async () => {
    const { client, sessionId } = await session();
    await client.downloadSessionAction(sessionId, 'fail', { client_error_message: 'disk full' });
    const s = (
      (await client.getDownloadSession(sessionId)).body as {
        value: { state: string; error_message: { default_message: string } };
      }
    ).value;
    expect(s).toMatchObject({ state: 'ERROR', error_message: { default_message: 'disk full' } });
  });

  it('keep-alive takes a strictly increasing progress', async () => {
    const { client, sessionId } = await session();
    expect((await client.downloadSessionAction(sessionId, 'keep-alive', { progress: 50 })).status).toBe(200);
    expectVapiError(
      await client.downloadSessionAction(sessionId, 'keep-alive', { progress: 50 }),
      400,
      'invalid_argument',
      'PROGRESS_MONOTONIC',
    );
    expect(
      ((await client.getDownloadSession(sessionId)).body as { value: { client_progress: number } }).value
        .client_progress,
    ).toBe(50);
  });

  it('is idempotent with a client_token and answers not_found for unknown items', async () => {
    const { client, itemId } = await fixture(sim);
    const token = randomUUID();
    const a = (await client.createDownloadSession(itemId, token)).body as { value: string };
    const b = (await client.createDownloadSession(itemId, token)).body as { value: string };
    expect(b.value).toBe(a.value);
    expectVapiError(
      await client.createDownloadSession(itemId, 'nope'),
      400,
      'invalid_argument',
      'CLIENT_TOKEN_UUID',
    );
    expectVapiError(
      await client.createDownloadSession(randomUUID()),
      404,
      'not_found',
      'CREATE_ITEM_NOT_FOUND',
    );
  });
});
