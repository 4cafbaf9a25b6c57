/**
 * Every /api route of the simulator over raw HTTP (undici): the 8.0.2 wire (bare bodies, 201 creates,
 * 204 actions, `?action=`, ids in the path, get told from list by a query parameter) and its error
 * bodies; and both flavours seeing one model.
 */
import { randomUUID } from 'node:crypto';
import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import { ApiClient, apiFixture, expectApiError } from './api-helpers';
import { RawClient, expectVapiError } from './helpers';

const US = '/content/library/item/update-session';
const DS = '/content/library/item/download-session';

describe('simulator: /api routes', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator({ prepareDelayMs: 20 });
  });
  afterAll(() => sim.close());

  it('session: POST answers 201 with the bare token, GET the session info, DELETE 204 ends it', async () => {
    const api = new ApiClient(sim.url);
    const login = await api.login('admin', 'secret');
    expect(login.status).toBe(201);
    expect(typeof login.body).toBe('string');
    expect(await api.expect(200, 'GET', '/session')).toMatchObject({ user: 'admin' });
    expect((await api.call('DELETE', '/session')).status).toBe(204);
    const after = expectApiError(await api.call('GET', '/session'), 401, 'UNAUTHENTICATED', 'AUTH_REQUIRED');
    expect(after.challenge).toMatch(/^Basic /);
    expect((await api.call('POST', '/session', { auth: false })).status).toBe(401);
  });

  it('libraries: local-library create (client token in query or header), list, get, find, update, delete', async () => {
    const { api } = await apiFixture(sim);
    const spec = {
      name: `lib-${randomUUID()}`,
      storage_backings: [{ type: 'DATASTORE', datastore_id: sim.datastoreId }],
    };
    const token = randomUUID();
    const id = await api.expect<string>(201, 'POST', '/content/local-library', {
      body: spec,
      query: { client_token: token },
    });
    // CLIENT_TOKEN_API: the same token as a Client-Token header is the same creation.
    expect(
      await api.expect(201, 'POST', '/content/local-library', {
        body: spec,
        headers: { 'client-token': token },
      }),
    ).toBe(id);
    expectApiError(
      await api.call('POST', '/content/local-library', {
        body: spec,
        query: { client_token: token },
        headers: { 'client-token': randomUUID() },
      }),
      400,
      'INVALID_ARGUMENT',
      'CLIENT_TOKEN_API',
    );
    expect(await api.expect(200, 'GET', '/content/library')).toContain(id);
    expect(await api.expect(200, 'GET', '/content/local-library')).toContain(id);
    expect(await api.expect(200, 'GET', `/content/library/${id}`)).toMatchObject({
      id,
      name: spec.name,
      type: 'LOCAL',
    });
    expect(
      await api.expect(200, 'POST', '/content/library', {
        query: { action: 'find' },
        body: { name: spec.name },
      }),
    ).toEqual([id]);
    expect((await api.call('PATCH', `/content/library/${id}`, { body: { description: 'd1' } })).status).toBe(
      204,
    );
    expect(
      (await api.call('PATCH', `/content/local-library/${id}`, { body: { name: `${spec.name}-2` } })).status,
    ).toBe(204);
    expect(await api.expect(200, 'GET', `/content/local-library/${id}`)).toMatchObject({
      description: 'd1',
      name: `${spec.name}-2`,
    });
    // The 8.0.2 spec deletes libraries on /content/local-library only.
    expectApiError(await api.call('DELETE', `/content/library/${id}`), 404, 'OPERATION_NOT_FOUND');
    expect((await api.call('DELETE', `/content/local-library/${id}`)).status).toBe(204);
    expectApiError(await api.call('GET', `/content/library/${id}`), 404, 'NOT_FOUND');
  });

  it('items: create, list, find, get, update, files and storage (get by ?name= / ?file_name=), delete', async () => {
    const { api, libraryId, itemId } = await apiFixture(sim, 'iso');
    expect(
      await api.expect(200, 'GET', '/content/library/item', { query: { library_id: libraryId } }),
    ).toEqual([itemId]);
    const item = await api.expect<{ name: string }>(200, 'GET', `/content/library/item/${itemId}`);
    expect(
      await api.expect(200, 'POST', '/content/library/item', {
        query: { action: 'find' },
        body: { name: item.name },
      }),
    ).toEqual([itemId]);
    const other = await api.createItem(libraryId, 'iso');
    // AlreadyExists is 400 on item update (content-library.json PATCH /api/content/library/item/{id}).
    expectApiError(
      await api.call('PATCH', `/content/library/item/${other}`, { body: { name: item.name } }),
      400,
      'ALREADY_EXISTS',
    );
    expect(
      (await api.call('PATCH', `/content/library/item/${itemId}`, { body: { description: 'x' } })).status,
    ).toBe(204);

    const sessionId = await api.createUpdateSession(itemId);
    await api.push(sessionId, 'a.iso', 'iso bytes');
    expect((await api.action('update-session', sessionId, 'complete')).status).toBe(204);
    const files = await api.expect<Array<{ name: string; size: number }>>(
      200,
      'GET',
      `/content/library/item/${itemId}/file`,
    );
    expect(files).toEqual([expect.objectContaining({ name: 'a.iso', size: 9 })]);
    expect(
      await api.expect(200, 'GET', `/content/library/item/${itemId}/file`, { query: { name: 'a.iso' } }),
    ).toMatchObject({ name: 'a.iso', version: '1' });
    expectApiError(
      await api.call('GET', `/content/library/item/${itemId}/file`, { query: { name: 'nope' } }),
      404,
      'NOT_FOUND',
      'ITEM_FILE_NOT_FOUND',
    );
    const storage = await api.expect<Array<{ storage_uris: string[] }>>(
      200,
      'GET',
      `/content/library/item/${itemId}/storage`,
    );
    expect(storage[0]?.storage_uris[0]).toMatch(/^file:/);
    expect(
      await api.expect(200, 'GET', `/content/library/item/${itemId}/storage`, {
        query: { file_name: 'a.iso' },
      }),
    ).toEqual([expect.objectContaining({ name: 'a.iso' })]);
    expect((await api.call('DELETE', `/content/library/item/${itemId}`)).status).toBe(204);
    expectApiError(await api.call('GET', `/content/library/item/${itemId}`), 404, 'NOT_FOUND');
  });

  it('update sessions: create 201, get, list, keep-alive/cancel/fail 204, delete, one ACTIVE per item is 500 RESOURCE_BUSY', async () => {
    const { api, itemId } = await apiFixture(sim, 'iso');
    const token = randomUUID();
    const id = await api.expect<string>(201, 'POST', US, {
      body: { library_item_id: itemId },
      query: { client_token: token },
    });
    expect(
      await api.expect(201, 'POST', US, {
        body: { library_item_id: itemId },
        headers: { 'client-token': token },
      }),
    ).toBe(id);
    expect(await api.getUpdateSession(id)).toMatchObject({
      id,
      library_item_id: itemId,
      state: 'ACTIVE',
      client_progress: 0,
      warning_behavior: [],
    });
    expect(await api.expect(200, 'GET', US, { query: { library_item_id: itemId } })).toEqual([id]);
    // API_ERRORS: update-session create names ResourceBusy with status 500.
    const busy = expectApiError(
      await api.call('POST', US, { body: { library_item_id: itemId } }),
      500,
      'RESOURCE_BUSY',
      'US_ONE_ACTIVE_PER_ITEM',
    );
    expect(busy.messages[0]?.args).toContain(id);
    expect((await api.action('update-session', id, 'keep-alive', { client_progress: 40 })).status).toBe(204);
    expect(await api.getUpdateSession(id)).toMatchObject({ client_progress: 40 });
    expectApiError(
      await api.action('update-session', id, 'keep-alive', { client_progress: 10 }),
      400,
      'INVALID_ARGUMENT',
      'PROGRESS_MONOTONIC',
    );
    expectApiError(
      await api.call('DELETE', `${US}/${id}`),
      400,
      'NOT_ALLOWED_IN_CURRENT_STATE',
      'US_DELETE_NOT_ACTIVE',
    );
    expect((await api.action('update-session', id, 'cancel')).status).toBe(204);
    expect(await api.getUpdateSession(id)).toMatchObject({ state: 'CANCELED' });
    expect((await api.call('DELETE', `${US}/${id}`)).status).toBe(204);
    expectApiError(await api.call('GET', `${US}/${id}`), 404, 'NOT_FOUND', 'SESSION_NOT_FOUND');

    const failed = await api.createUpdateSession(itemId);
    expect(
      (await api.action('update-session', failed, 'fail', { client_error_message: 'disk gone' })).status,
    ).toBe(204);
    expect(await api.getUpdateSession(failed)).toMatchObject({
      state: 'ERROR',
      error_message: { default_message: 'disk gone' },
    });
    expectApiError(
      await api.action('update-session', failed, 'complete'),
      400,
      'NOT_ALLOWED_IN_CURRENT_STATE',
      'US_COMPLETE_ACTIVE',
    );
    expectApiError(
      await api.call('POST', `${US}/${failed}`, { query: { action: 'bogus' } }),
      404,
      'OPERATION_NOT_FOUND',
    );
  });

  it('update-session files: add 201, list, get and delete by name, validate, complete', async () => {
    const { api, itemId } = await apiFixture(sim);
    const id = await api.createUpdateSession(itemId);
    const ovf = '<Envelope><References><File ovf:href="d.vmdk"/></References></Envelope>';
    await api.push(id, 'p.ovf', ovf);
    const added = await api.expect<{ status: string; upload_endpoint: { uri: string } }>(
      201,
      'POST',
      `${US}/${id}/file`,
      {
        body: { name: 'extra.txt', source_type: 'PUSH' },
      },
    );
    expect(added).toMatchObject({
      status: 'WAITING_FOR_TRANSFER',
      upload_endpoint: { uri: expect.stringMatching(/^http/) },
    });
    const names = (await api.expect<Array<{ name: string }>>(200, 'GET', `${US}/${id}/file`)).map(
      (f) => f.name,
    );
    expect(names.sort()).toEqual(['extra.txt', 'p.ovf']);
    expect(await api.expect(200, 'GET', `${US}/${id}/file/p.ovf`)).toMatchObject({
      name: 'p.ovf',
      status: 'READY',
    });
    expectApiError(
      await api.call('GET', `${US}/${id}/file/none`),
      400,
      'INVALID_ARGUMENT',
      'FILE_NOT_IN_SESSION',
    );
    expect((await api.call('DELETE', `${US}/${id}/file/extra.txt`)).status).toBe(204);
    expect(await api.expect(200, 'POST', `${US}/${id}/file`, { query: { action: 'validate' } })).toEqual({
      has_errors: true,
      missing_files: ['d.vmdk'],
      invalid_files: [],
    });
    expectApiError(
      await api.action('update-session', id, 'complete'),
      400,
      'NOT_ALLOWED_IN_CURRENT_STATE',
      'US_COMPLETE_FILES_RECEIVED',
    );
    await api.push(id, 'd.vmdk', 'disk');
    expect((await api.action('update-session', id, 'complete')).status).toBe(204);
    expect(await api.getUpdateSession(id)).toMatchObject({ state: 'DONE' });
    expect(await api.getUpdateSession(id)).not.toHaveProperty('preview_info');
  });

  it('download sessions: create 201, get, list, files (?file_name=), prepare, keep-alive, cancel, fail, delete', async () => {
    const { api, itemId } = await apiFixture(sim, 'iso');
    const up = await api.createUpdateSession(itemId);
    await api.push(up, 'x.iso', 'hello');
    expect((await api.action('update-session', up, 'complete')).status).toBe(204);

    const id = await api.expect<string>(201, 'POST', DS, { body: { library_item_id: itemId } });
    expect(await api.expect(200, 'GET', `${DS}/${id}`)).toMatchObject({
      id,
      state: 'ACTIVE',
      library_item_content_version: '2',
    });
    expect(await api.expect(200, 'GET', DS, { query: { library_item_id: itemId } })).toEqual([id]);
    expect(await api.expect(200, 'GET', `${DS}/${id}/file`)).toEqual([
      expect.objectContaining({ name: 'x.iso', status: 'UNPREPARED' }),
    ]);
    const prepared = await api.expect<{ status: string }>(200, 'POST', `${DS}/${id}/file`, {
      query: { action: 'prepare' },
      body: { file_name: 'x.iso', endpoint_type: 'HTTPS' },
    });
    expect(prepared.status).toBe('PREPARE_REQUESTED');
    let info: { status: string; download_endpoint?: { uri: string } } = prepared;
    for (let i = 0; i < 200 && info.status !== 'PREPARED'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      info = await api.expect(200, 'GET', `${DS}/${id}/file`, { query: { file_name: 'x.iso' } });
    }
    expect(info.status).toBe('PREPARED');
    const data = await fetch(info.download_endpoint?.uri ?? '', {
      headers: { 'vmware-api-session-id': api.token ?? '' },
    });
    expect(await data.text()).toBe('hello');
    expectApiError(
      await api.call('GET', `${DS}/${id}/file`, { query: { file_name: 'nope' } }),
      400,
      'INVALID_ARGUMENT',
      'DS_UNKNOWN_FILE',
    );
    expect((await api.action('download-session', id, 'keep-alive', { progress: 50 })).status).toBe(204);
    expect(await api.expect(200, 'GET', `${DS}/${id}`)).toMatchObject({ client_progress: 50 });
    expect((await api.action('download-session', id, 'cancel')).status).toBe(204);
    expect((await api.call('DELETE', `${DS}/${id}`)).status).toBe(204);

    const other = await api.expect<string>(201, 'POST', DS, { body: { library_item_id: itemId } });
    expect(
      (await api.action('download-session', other, 'fail', { client_error_message: 'no space' })).status,
    ).toBe(204);
    expect(await api.expect(200, 'GET', `${DS}/${other}`)).toMatchObject({ state: 'ERROR' });
    expectApiError(
      await api.action('download-session', other, 'keep-alive', {}),
      400,
      'NOT_ALLOWED_IN_CURRENT_STATE',
      'DS_KEEP_ALIVE_ACTIVE',
    );
  });

  it('both flavours share one model: logins, libraries, items and sessions created on one are seen on the other', async () => {
    const rest = new RawClient(sim.url);
    await rest.login();
    const libraryId = await rest.createLibrary(sim.datastoreId);
    const itemId = await rest.createItem(libraryId, undefined, 'ovf');
    const created = await rest.createUpdateSession(itemId);
    const sessionId = (created.body as { value: string }).value;
    // A /rest token works on /api.
    const api = new ApiClient(sim.url);
    api.token = rest.token;
    expect(await api.expect(200, 'GET', `/content/library/item/${itemId}`)).toMatchObject({
      id: itemId,
      library_id: libraryId,
    });
    expect(await api.getUpdateSession(sessionId)).toMatchObject({
      id: sessionId,
      state: 'ACTIVE',
      preview_info: { state: 'UNAVAILABLE' },
    });
    // The same rule answers in each flavour's format: ResourceBusy is 400 on /rest, 500 on /api.
    expectVapiError(await rest.createUpdateSession(itemId), 400, 'resource_busy', 'US_ONE_ACTIVE_PER_ITEM');
    expectApiError(
      await api.call('POST', US, { body: { library_item_id: itemId } }),
      500,
      'RESOURCE_BUSY',
      'US_ONE_ACTIVE_PER_ITEM',
    );
    // And the other way: cancel over /api, /rest sees it; /rest shows no api-8.0.2 fields.
    expect((await api.action('update-session', sessionId, 'cancel')).status).toBe(204);
    const restView = (await rest.getUpdateSession(sessionId)).body as { value: Record<string, unknown> };
    expect(restView.value).toMatchObject({ state: 'CANCELED' });
    expect(restView.value).not.toHaveProperty('warning_behavior');
    // Call counts and faults are per operation, whatever the flavour.
    sim.faults.failNext({ operation: 'item.get', count: 2 });
    expectApiError(await api.call('GET', `/content/library/item/${itemId}`), 503, 'SERVICE_UNAVAILABLE');
    expectVapiError(
      await rest.request('GET', `/content/library/item/id:${itemId}`),
      503,
      'service_unavailable',
    );
  });

  it('refuses a malformed body or a wrong action with the /api error body', async () => {
    const { api, itemId } = await apiFixture(sim);
    const id = await api.createUpdateSession(itemId);
    expectApiError(
      await api.call('POST', `${US}/${id}/file`, { body: { name: 'a', source_type: 'SIDEWAYS' } }),
      400,
      'INVALID_ARGUMENT',
      'FILE_SPEC_INVALID',
    );
    expectApiError(await api.action('update-session', id, 'fail', {}), 400, 'INVALID_ARGUMENT');
    expectApiError(
      await api.call('POST', US, { body: { library_item_id: randomUUID() } }),
      404,
      'NOT_FOUND',
      'CREATE_ITEM_NOT_FOUND',
    );
    expectApiError(
      await api.call('POST', US, {
        body: { library_item_id: itemId },
        query: { client_token: 'not-a-uuid' },
      }),
      400,
      'INVALID_ARGUMENT',
      'CLIENT_TOKEN_UUID',
    );
  });
});
