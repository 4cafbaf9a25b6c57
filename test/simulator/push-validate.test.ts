import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import type { RawClient, UpdateFileInfo } from './helpers';
import { expectVapiError, fixture, md5, sha1, sleep, streamingPut, uploadFiles, writeChunk } from './helpers';

describe('simulator: PUSH transfers and validation', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  async function session(
    itemType = 'iso',
  ): Promise<{ client: RawClient; itemId: string; sessionId: string }> {
    const { client, itemId } = await fixture(sim, itemType);
    const res = await client.createUpdateSession(itemId);
    return { client, itemId, sessionId: (res.body as { value: string }).value };
  }
  async function add(client: RawClient, sessionId: string, spec: Record<string, unknown>): Promise<string> {
    const res = await client.addFile(sessionId, { source_type: 'PUSH', ...spec });
    expect(res.status).toBe(200);
    return (res.body as { value: UpdateFileInfo }).value.upload_endpoint?.uri ?? '';
  }

  it('moves a PUSH file WAITING_FOR_TRANSFER -> TRANSFERRING (live bytes) -> READY', async () => {
    const { client, sessionId } = await session();
    const uri = await add(client, sessionId, { name: 'f.bin', size: 3 * 1024 });
    expect(uri).toMatch(new RegExp(`^${sim.url}/rest/com/vmware/cis/data/[0-9a-f-]+/f\\.bin$`));
    expect(await client.sessionFile(sessionId, 'f.bin')).toMatchObject({
      status: 'WAITING_FOR_TRANSFER',
      bytes_transferred: 0,
    });
    const { req, done } = streamingPut(uri, client.token ?? '', 3 * 1024);
    await writeChunk(req, Buffer.alloc(1024, 7));
    await sleep(30);
    expect(await client.sessionFile(sessionId, 'f.bin')).toMatchObject({
      status: 'TRANSFERRING',
      bytes_transferred: 1024,
    });
    // A second PUT while one is in flight is refused.
    expectVapiError(await client.put(uri, 'x'), 400, 'resource_busy', 'TRANSFER_STATUS');
    await writeChunk(req, Buffer.alloc(2048, 7));
    req.end();
    expect((await done).status).toBe(200);
    expect(await client.sessionFile(sessionId, 'f.bin')).toMatchObject({
      status: 'READY',
      bytes_transferred: 3072,
    });
  });

  it('marks ERROR on a size mismatch with AddSpec.size', async () => {
    const { client, sessionId } = await session();
    const uri = await add(client, sessionId, { name: 's.bin', size: 10 });
    const res = await client.put(uri, 'too short');
    expectVapiError(res, 400, 'invalid_argument', 'TRANSFER_STATUS');
    const f = await client.sessionFile(sessionId, 's.bin');
    expect(f.status).toBe('ERROR');
    expect(f.error_message?.default_message).toMatch(/size mismatch.*expected 10.*received 9/);
  });

  it('checks checksum_info: SHA1 by default, MD5 when asked, ERROR on mismatch', async () => {
    const { client, sessionId } = await session();
    const good = await add(client, sessionId, {
      name: 'a.bin',
      checksum_info: { checksum: sha1('data').toUpperCase() },
    });
    expect((await client.put(good, 'data')).status).toBe(200);
    const md5ok = await add(client, sessionId, {
      name: 'b.bin',
      checksum_info: { algorithm: 'MD5', checksum: md5('data') },
    });
    expect((await client.put(md5ok, 'data')).status).toBe(200);
    const bad = await add(client, sessionId, {
      name: 'c.bin',
      checksum_info: { algorithm: 'SHA1', checksum: sha1('other') },
    });
    expectVapiError(await client.put(bad, 'data'), 400, 'invalid_argument', 'CHECKSUM_DEFAULT_SHA1');
    const badMd5 = await add(client, sessionId, {
      name: 'd.bin',
      checksum_info: { algorithm: 'MD5', checksum: md5('other') },
    });
    expectVapiError(await client.put(badMd5, 'data'), 400, 'invalid_argument');
    const statuses = await Promise.all(
      ['a.bin', 'b.bin', 'c.bin', 'd.bin'].map(async (n) => (await client.sessionFile(sessionId, n)).status),
    );
    expect(statuses).toEqual(['READY', 'READY', 'ERROR', 'ERROR']);
  });

  it('marks ERROR when the connection is cut mid-body', async () => {
    const { client, sessionId } = await session();
    const uri = await add(client, sessionId, { name: 'cut.bin' });
    const { req, done } = streamingPut(uri, client.token ?? '', 1 << 20);
    await writeChunk(req, Buffer.alloc(4096));
    await sleep(30);
    req.destroy();
    await expect(done).rejects.toThrow();
    for (let i = 0; i < 50 && (await client.sessionFile(sessionId, 'cut.bin')).status !== 'ERROR'; i++)
      await sleep(10);
    const f = await client.sessionFile(sessionId, 'cut.bin');
    expect(f.status).toBe('ERROR');
    expect(f.error_message?.default_message).toMatch(/interrupted after 4096 bytes/);
  });

  it('refuses Content-Range uploads', async () => {
    const { client, sessionId } = await session();
    const uri = await add(client, sessionId, { name: 'r.bin' });
    expectVapiError(
      await client.put(uri, 'abc', { 'content-range': 'bytes 0-2/10' }),
      400,
      'invalid_argument',
    );
  });

  it('validate reports files not READY as missing and ERROR files as invalid; complete refuses both', async () => {
    const { client, sessionId } = await session();
    await add(client, sessionId, { name: 'waiting.bin' });
    const bad = await add(client, sessionId, { name: 'bad.bin', size: 1 });
    await client.put(bad, 'xx');
    const ok = await add(client, sessionId, { name: 'ok.bin' });
    await client.put(ok, 'ok');
    const v = (await client.validate(sessionId)).body as {
      value: {
        has_errors: boolean;
        missing_files: string[];
        invalid_files: Array<{ name: string; error_message: { default_message: string } }>;
      };
    };
    expect(v.value.has_errors).toBe(true);
    expect(v.value.missing_files).toEqual(['waiting.bin']);
    expect(v.value.invalid_files.map((f) => f.name)).toEqual(['bad.bin']);
    expect(v.value.invalid_files[0]?.error_message.default_message).toMatch(/size mismatch/);
    const refused = expectVapiError(
      await client.updateSessionAction(sessionId, 'complete'),
      400,
      'not_allowed_in_current_state',
      'US_COMPLETE_FILES_RECEIVED',
    );
    expect(refused.value.messages[0]?.args).toEqual(['waiting.bin', 'bad.bin']);
    // Fix both and it completes.
    await client.request('POST', `/content/library/item/updatesession/file/id:${sessionId}`, {
      action: 'remove',
      body: { file_name: 'waiting.bin' },
    });
    await client.put(await add(client, sessionId, { name: 'bad.bin', size: 1 }), 'y');
    const clean = (await client.validate(sessionId)).body as {
      value: { has_errors: boolean; missing_files: string[] };
    };
    expect(clean.value).toMatchObject({ has_errors: false, missing_files: [] });
    expect((await client.updateSessionAction(sessionId, 'complete')).status).toBe(200);
  });

  it('for an ovf item, reports files the descriptor references but the session and item lack', async () => {
    const { client, itemId } = await fixture(sim, 'ovf');
    await uploadFiles(client, itemId, { 'disk-0.vmdk.bin': 'disk zero' });
    const sid = ((await client.createUpdateSession(itemId)).body as { value: string }).value;
    const ovf = `<?xml version="1.0"?><Envelope xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"><References>
      <File ovf:href="disk-0.vmdk.bin" ovf:id="file0"/>
      <File ovf:id="file1" ovf:href="disk-1.vmdk.bin" ovf:size="9"/>
      <File ovf:href='nvram.bin' ovf:id="file2"/>
    </References></Envelope>`;
    await client.put(await add(client, sid, { name: 'vm.ovf' }), ovf);
    await client.put(await add(client, sid, { name: 'nvram.bin' }), 'n');
    const v = (await client.validate(sid)).body as {
      value: { has_errors: boolean; missing_files: string[] };
    };
    expect(v.value).toMatchObject({ has_errors: true, missing_files: ['disk-1.vmdk.bin'] });
    expectVapiError(
      await client.updateSessionAction(sid, 'complete'),
      400,
      'not_allowed_in_current_state',
      'US_COMPLETE_FILES_RECEIVED',
    );
    // Removing a referenced item file makes it missing too.
    await client.request('POST', `/content/library/item/updatesession/file/id:${sid}`, {
      action: 'remove',
      body: { file_name: 'disk-0.vmdk.bin' },
    });
    const v2 = (await client.validate(sid)).body as { value: { missing_files: string[] } };
    expect(v2.value.missing_files.sort()).toEqual(['disk-0.vmdk.bin', 'disk-1.vmdk.bin']);
    await client.put(await add(client, sid, { name: 'disk-0.vmdk.bin' }), 'disk zero again');
    await client.put(await add(client, sid, { name: 'disk-1.vmdk.bin' }), 'disk one');
    expect(((await client.validate(sid)).body as { value: { has_errors: boolean } }).value.has_errors).toBe(
      false,
    );
    expect((await client.updateSessionAction(sid, 'complete')).status).toBe(200);
    expect((await client.listItemFiles(itemId)).map((f) => f.name).sort()).toEqual([
      'disk-0.vmdk.bin',
      'disk-1.vmdk.bin',
      'nvram.bin',
      'vm.ovf',
    ]);
  });
});
