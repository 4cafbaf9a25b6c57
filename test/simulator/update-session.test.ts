import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import type { RawClient, UpdateFileInfo } from './helpers';
import { expectVapiError, fixture, sha1, uploadFiles } from './helpers';

describe('simulator: update session rules', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  async function session(): Promise<{ client: RawClient; itemId: string; sessionId: string }> {
    const { client, itemId } = await fixture(sim);
    const res = await client.createUpdateSession(itemId);
    expect(res.status).toBe(200);
    return { client, itemId, sessionId: (res.body as { value: string }).value };
  }

  async function addPush(
    client: RawClient,
    sessionId: string,
    name: string,
    extra: Record<string, unknown> = {},
  ): Promise<UpdateFileInfo> {
    const res = await client.addFile(sessionId, { name, source_type: 'PUSH', ...extra });
    expect(res.status).toBe(200);
    return (res.body as { value: UpdateFileInfo }).value;
  }

  it('creates an ACTIVE session that records the item content_version and an expiration_time', async () => {
    const { client, sessionId, itemId } = await session();
    const s = (await client.getUpdateSession(sessionId)).body as { value: Record<string, unknown> };
    expect(s.value).toMatchObject({
      id: sessionId,
      library_item_id: itemId,
      library_item_content_version: '1',
      client_progress: 0,
      state: 'ACTIVE',
    });
    expect(Date.parse(String(s.value.expiration_time))).toBeGreaterThan(Date.now() + 4 * 60_000);
    expect(
      await client.value('GET', '/content/library/item/update-session', {
        query: { library_item_id: itemId },
      }),
    ).toEqual([sessionId]);
  });

  it('refuses a second active session on the same item with resource_busy naming the first', async () => {
    const { client, itemId, sessionId } = await session();
    const res = await client.createUpdateSession(itemId);
    const body = expectVapiError(res, 400, 'resource_busy', 'US_ONE_ACTIVE_PER_ITEM');
    expect(body.value.messages[0]?.default_message).toContain(sessionId);
    expect(body.value.messages[0]?.args).toContain(sessionId);
    // Once the first is no longer ACTIVE, a new one may be created.
    await client.updateSessionAction(sessionId, 'cancel');
    expect((await client.createUpdateSession(itemId)).status).toBe(200);
  });

  it('returns the same session for a repeated client_token instead of resource_busy', async () => {
    const { client, itemId } = await fixture(sim);
    const token = randomUUID();
    const first = await client.createUpdateSession(itemId, token);
    const again = await client.createUpdateSession(itemId, token);
    expect(again.status).toBe(200);
    expect((again.body as { value: string }).value).toBe((first.body as { value: string }).value);
    expect(
      await client.value<string[]>('GET', '/content/library/item/update-session', {
        query: { library_item_id: itemId },
      }),
    ).toHaveLength(1);
  });

  it('refuses a client_token that is not a UUID, or reused for another item', async () => {
    const { client, itemId, libraryId } = await fixture(sim);
    expectVapiError(
      await client.createUpdateSession(itemId, 'token-1'),
      400,
      'invalid_argument',
      'CLIENT_TOKEN_UUID',
    );
    const token = randomUUID();
    expect((await client.createUpdateSession(itemId, token)).status).toBe(200);
    const other = await client.createItem(libraryId);
    expectVapiError(
      await client.createUpdateSession(other, token),
      400,
      'invalid_argument',
      'CLIENT_TOKEN_IDEMPOTENT',
    );
  });

  it('answers not_found for an unknown item and for list filtered by an unknown item', async () => {
    const { client } = await fixture(sim);
    expectVapiError(
      await client.createUpdateSession(randomUUID()),
      404,
      'not_found',
      'CREATE_ITEM_NOT_FOUND',
    );
    expectVapiError(
      await client.request('GET', '/content/library/item/update-session', {
        query: { library_item_id: randomUUID() },
      }),
      404,
      'not_found',
      'LIST_FILTER_NOT_FOUND',
    );
    expectVapiError(await client.getUpdateSession(randomUUID()), 404, 'not_found', 'SESSION_NOT_FOUND');
  });

  it('requires client_progress to increase, stay within 0..100 and refuses an equal value', async () => {
    const { client, sessionId } = await session();
    expect((await client.updateSessionAction(sessionId, 'keep-alive', { client_progress: 10 })).status).toBe(
      200,
    );
    expectVapiError(
      await client.updateSessionAction(sessionId, 'keep-alive', { client_progress: 10 }),
      400,
      'invalid_argument',
      'PROGRESS_MONOTONIC',
    );
    expectVapiError(
      await client.updateSessionAction(sessionId, 'keep-alive', { client_progress: 5 }),
      400,
      'invalid_argument',
      'PROGRESS_MONOTONIC',
    );
    expectVapiError(
      await client.updateSessionAction(sessionId, 'keep-alive', { client_progress: 101 }),
      400,
      'invalid_argument',
      'PROGRESS_RANGE',
    );
    expectVapiError(
      await client.updateSessionAction(sessionId, 'keep-alive', { client_progress: 12.5 }),
      400,
      'invalid_argument',
      'PROGRESS_RANGE',
    );
    expect((await client.updateSessionAction(sessionId, 'keep-alive')).status).toBe(200);
    expect((await client.updateSessionAction(sessionId, 'keep-alive', { client_progress: 100 })).status).toBe(
      200,
    );
    expect(
      ((await client.getUpdateSession(sessionId)).body as { value: { client_progress: number } }).value
        .client_progress,
    ).toBe(100);
  });

  it.each(['DONE', 'CANCELED', 'ERROR'] as const)(
    'allows keep-alive, complete, cancel, fail and validate only while ACTIVE (%s)',
    async (end) => {
      const { client, sessionId } = await session();
      if (end === 'DONE') await client.updateSessionAction(sessionId, 'complete');
      if (end === 'CANCELED') await client.updateSessionAction(sessionId, 'cancel');
      if (end === 'ERROR')
        await client.updateSessionAction(sessionId, 'fail', { client_error_message: 'disk full' });
      expect(
        ((await client.getUpdateSession(sessionId)).body as { value: { state: string } }).value.state,
      ).toBe(end);
      expectVapiError(
        await client.updateSessionAction(sessionId, 'keep-alive'),
        400,
        'not_allowed_in_current_state',
        'US_KEEP_ALIVE_ACTIVE',
      );
      expectVapiError(
        await client.updateSessionAction(sessionId, 'complete'),
        400,
        'not_allowed_in_current_state',
        'US_COMPLETE_ACTIVE',
      );
      expectVapiError(
        await client.updateSessionAction(sessionId, 'cancel'),
        400,
        'not_allowed_in_current_state',
        'US_CANCEL_ACTIVE',
      );
      expectVapiError(
        await client.updateSessionAction(sessionId, 'fail', { client_error_message: 'x' }),
        400,
        'not_allowed_in_current_state',
        'US_FAIL_ACTIVE',
      );
      expectVapiError(
        await client.validate(sessionId),
        400,
        'not_allowed_in_current_state',
        'VALIDATE_ACTIVE',
      );
      expectVapiError(
        await client.addFile(sessionId, { name: 'a.bin', source_type: 'PUSH' }),
        400,
        'not_allowed_in_current_state',
        'FILE_ADD_ACTIVE',
      );
    },
  );

  it('refuses delete while ACTIVE and deletes afterwards (then not_found)', async () => {
    const { client, sessionId } = await session();
    expectVapiError(
      await client.request('DELETE', `/content/library/item/update-session/id:${sessionId}`),
      400,
      'not_allowed_in_current_state',
      'US_DELETE_NOT_ACTIVE',
    );
    await client.updateSessionAction(sessionId, 'cancel');
    expect(
      (await client.request('DELETE', `/content/library/item/update-session/id:${sessionId}`)).status,
    ).toBe(200);
    expectVapiError(await client.getUpdateSession(sessionId), 404, 'not_found');
  });

  it('fail sets ERROR with the client message as error_message', async () => {
    const { client, sessionId } = await session();
    await client.updateSessionAction(sessionId, 'fail', { client_error_message: 'source vanished' });
    const s = (
      (await client.getUpdateSession(sessionId)).body as {
        value: { state: string; error_message: { default_message: string } };
      }
    ).value;
    expect(s.state).toBe('ERROR');
    expect(s.error_message.default_message).toBe('source vanished');
  });

  it('keeps changes invisible until complete, then applies them and bumps content_version', async () => {
    const { client, itemId, sessionId } = await session();
    const file = await addPush(client, sessionId, 'disk.bin', { size: 5 });
    expect((await client.put(file.upload_endpoint?.uri ?? '', 'hello')).status).toBe(200);
    expect((await client.sessionFile(sessionId, 'disk.bin')).status).toBe('READY');
    expect(await client.listItemFiles(itemId)).toEqual([]);
    expect(await client.getItem(itemId)).toMatchObject({ content_version: '1', size: 0 });
    expect((await client.updateSessionAction(sessionId, 'complete')).status).toBe(200);
    expect(
      ((await client.getUpdateSession(sessionId)).body as { value: { state: string } }).value.state,
    ).toBe('DONE');
    const files = await client.listItemFiles(itemId);
    expect(files).toEqual([
      {
        name: 'disk.bin',
        size: 5,
        cached: true,
        version: '1',
        checksum_info: { algorithm: 'SHA1', checksum: sha1('hello') },
      },
    ]);
    expect(await client.getItem(itemId)).toMatchObject({ content_version: '2', size: 5 });
  });

  it('increments a file version when a new copy replaces it and removes files only at complete', async () => {
    const { client, itemId } = await fixture(sim);
    await uploadFiles(client, itemId, { 'a.bin': 'one', 'b.bin': 'bee' });
    const second = (await client.createUpdateSession(itemId)).body as { value: string };
    const sid = second.value;
    const a = await addPush(client, sid, 'a.bin');
    await client.put(a.upload_endpoint?.uri ?? '', 'two!');
    await client.ok('POST', `/content/library/item/updatesession/file/id:${sid}`, {
      action: 'remove',
      body: { file_name: 'b.bin' },
    });
    // The session view no longer has b.bin, the item still does.
    const view = await client.value<UpdateFileInfo[]>('GET', '/content/library/item/updatesession/file', {
      query: { update_session_id: sid },
    });
    expect(view.map((f) => [f.name, f.source_type, f.status])).toEqual([['a.bin', 'PUSH', 'READY']]);
    expect((await client.listItemFiles(itemId)).map((f) => f.name).sort()).toEqual(['a.bin', 'b.bin']);
    await client.updateSessionAction(sid, 'complete');
    const files = await client.listItemFiles(itemId);
    expect(files.map((f) => [f.name, f.version, f.size])).toEqual([['a.bin', '2', 4]]);
    expect((await client.getItem(itemId)).content_version).toBe('3');
  });

  it('lists untouched item files as source_type NONE in a new session and refuses unknown names', async () => {
    const { client, itemId } = await fixture(sim);
    await uploadFiles(client, itemId, { 'keep.bin': 'k' });
    const sid = ((await client.createUpdateSession(itemId)).body as { value: string }).value;
    expect(await client.sessionFile(sid, 'keep.bin')).toMatchObject({
      name: 'keep.bin',
      source_type: 'NONE',
      status: 'READY',
      size: 1,
    });
    const unknown = await client.request('POST', `/content/library/item/updatesession/file/id:${sid}`, {
      action: 'get',
      body: { file_name: 'nope' },
    });
    expectVapiError(unknown, 400, 'invalid_argument', 'FILE_NOT_IN_SESSION');
    const removeUnknown = await client.request('POST', `/content/library/item/updatesession/file/id:${sid}`, {
      action: 'remove',
      body: { file_name: 'nope' },
    });
    expectVapiError(removeUnknown, 400, 'invalid_argument', 'FILE_NOT_IN_SESSION');
  });

  it('re-adding a name replaces the file: new endpoint, old one answers 404', async () => {
    const { client, sessionId } = await session();
    const first = await addPush(client, sessionId, 'x.bin');
    expect((await client.put(first.upload_endpoint?.uri ?? '', 'first')).status).toBe(200);
    const second = await addPush(client, sessionId, 'x.bin', { size: 6 });
    expect(second.upload_endpoint?.uri).not.toBe(first.upload_endpoint?.uri);
    expect(second.status).toBe('WAITING_FOR_TRANSFER');
    expectVapiError(await client.put(first.upload_endpoint?.uri ?? '', 'stale'), 404, 'not_found');
    expect((await client.put(second.upload_endpoint?.uri ?? '', 'second')).status).toBe(200);
    expect(await client.sessionFile(sessionId, 'x.bin')).toMatchObject({
      status: 'READY',
      bytes_transferred: 6,
    });
  });

  it('cancel discards received content from disk and sets CANCELED', async () => {
    const { client, sessionId } = await session();
    const f = await addPush(client, sessionId, 'big.bin');
    await client.put(f.upload_endpoint?.uri ?? '', Buffer.alloc(4096, 1));
    const uploads = path.join(sim.dataDir, '.uploads');
    expect(fs.readdirSync(uploads).length).toBeGreaterThan(0);
    await client.updateSessionAction(sessionId, 'cancel');
    expect(
      ((await client.getUpdateSession(sessionId)).body as { value: { state: string } }).value.state,
    ).toBe('CANCELED');
    const transferId = new URL(f.upload_endpoint?.uri ?? '').pathname.split('/').at(-2) ?? '';
    expect(fs.existsSync(path.join(uploads, transferId))).toBe(false);
    expectVapiError(
      await client.put(f.upload_endpoint?.uri ?? '', 'late'),
      400,
      'not_allowed_in_current_state',
    );
  });

  it('refuses invalid file specs with invalid_argument', async () => {
    const { client, sessionId } = await session();
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ name: '', source_type: 'PUSH' }, 'FILE_NAME_NONEMPTY'],
      [{ name: '../x', source_type: 'PUSH' }, 'FILE_SPEC_INVALID'],
      [{ name: 'a', source_type: 'SOMETHING' }, 'FILE_SPEC_INVALID'],
      [{ name: 'a', source_type: 'PULL' }, 'FILE_SPEC_INVALID'],
      [
        { name: 'a', source_type: 'PULL', source_endpoint: { uri: 'ds:///vmfs/volumes/x/a' } },
        'FILE_SPEC_INVALID',
      ],
      [
        { name: 'a', source_type: 'PUSH', checksum_info: { algorithm: 'SHA1', checksum: 'abc' } },
        'FILE_SPEC_INVALID',
      ],
      [
        // SHA256 is api-8.0.2's; the 6.6.1 enum of /rest is SHA1, MD5.
        { name: 'a', source_type: 'PUSH', checksum_info: { algorithm: 'SHA256', checksum: 'ab' } },
        'CHECKSUM_ALGORITHMS',
      ],
      [{ name: 'a', source_type: 'PUSH', size: -1 }, 'FILE_SPEC_INVALID'],
    ];
    for (const [spec, rule] of bad)
      expectVapiError(await client.addFile(sessionId, spec), 400, 'invalid_argument', rule);
  });
});
