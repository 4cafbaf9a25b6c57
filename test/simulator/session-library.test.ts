import { randomUUID } from 'node:crypto';
import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import { RawClient, expectVapiError, fixture } from './helpers';

describe('simulator: login, libraries and items', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator({ username: 'admin', password: 'secret' });
  });
  afterAll(() => sim.close());

  const login = async (): Promise<RawClient> => {
    const c = new RawClient(sim.url);
    expect((await c.login('admin', 'secret')).status).toBe(200);
    return c;
  };

  it('logs in with Basic auth and returns the token as {"value": token}', async () => {
    const c = new RawClient(sim.url);
    const res = await c.login('admin', 'secret');
    expect(res.status).toBe(200);
    expect(typeof (res.body as { value: string }).value).toBe('string');
    const me = await c.value<{ user: string }>('GET', '/cis/session');
    expect(me.user).toBe('admin');
    const viaAction = await c.value<{ user: string }>('POST', '/cis/session', { action: 'get' });
    expect(viaAction.user).toBe('admin');
  });

  it('refuses wrong credentials with 401 unauthenticated', async () => {
    const res = await new RawClient(sim.url).login('admin', 'wrong');
    expectVapiError(res, 401, 'unauthenticated', 'AUTH_REQUIRED');
    expect(res.headers.get('www-authenticate')).toContain('Basic');
  });

  it('requires vmware-api-session-id on every other call, transfers included', async () => {
    const anon = new RawClient(sim.url);
    expectVapiError(await anon.request('GET', '/content/library'), 401, 'unauthenticated', 'AUTH_REQUIRED');
    const res = await fetch(`${sim.url}/rest/com/vmware/cis/data/${randomUUID()}/x.bin`, {
      method: 'PUT',
      body: 'x',
    });
    expect(res.status).toBe(401);
  });

  it('logout invalidates the token', async () => {
    const c = await login();
    await c.ok('DELETE', '/cis/session');
    expectVapiError(await c.request('GET', '/content/library'), 401, 'unauthenticated');
  });

  it('invalidateLogins() drops every token and a fresh login works again', async () => {
    const c = await login();
    await c.value('GET', '/content/library');
    sim.invalidateLogins();
    expectVapiError(await c.request('GET', '/content/library'), 401, 'unauthenticated');
    await c.login('admin', 'secret');
    expect((await c.request('GET', '/content/library')).status).toBe(200);
  });

  it('accepts any non-empty credentials when none are configured (like vcsim)', async () => {
    const open = await startSimulator();
    try {
      expect((await new RawClient(open.url).login('anyone', 'anything')).status).toBe(200);
      expect((await new RawClient(open.url).login('', '')).status).toBe(401);
    } finally {
      await open.close();
    }
  });

  it('creates, gets, finds, lists, updates and deletes a library', async () => {
    const c = await login();
    const name = `lib-${randomUUID()}`;
    const id = await c.createLibrary(sim.datastoreId, name);
    const lib = await c.value<{ name: string; type: string; storage_backings: unknown[] }>(
      'GET',
      `/content/library/id:${id}`,
    );
    expect(lib).toMatchObject({
      name,
      type: 'LOCAL',
      storage_backings: [{ type: 'DATASTORE', datastore_id: sim.datastoreId }],
    });
    expect(await c.value('POST', '/content/library', { action: 'find', body: { spec: { name } } })).toEqual([
      id,
    ]);
    expect(await c.value<string[]>('GET', '/content/library')).toContain(id);
    await c.ok('PATCH', `/content/library/id:${id}`, { body: { update_spec: { description: 'd' } } });
    expect(await c.value('GET', `/content/library/id:${id}`)).toMatchObject({
      description: 'd',
      version: '2',
    });
    await c.ok('DELETE', `/content/local-library/id:${id}`);
    expectVapiError(await c.request('GET', `/content/library/id:${id}`), 404, 'not_found');
  });

  it('refuses a library on a wrong or missing datastore with invalid_argument', async () => {
    const c = await login();
    for (const backing of [
      { type: 'DATASTORE', datastore_id: 'datastore-nope' },
      { type: 'DATASTORE' },
      { type: 'OTHER', storage_uri: 'nfs://x/y' },
    ]) {
      const res = await c.request('POST', '/content/local-library', {
        body: { create_spec: { name: 'bad', type: 'LOCAL', storage_backings: [backing] } },
      });
      expectVapiError(res, 400, 'invalid_argument', 'DATASTORE_BACKING');
    }
    const none = await c.request('POST', '/content/local-library', {
      body: { create_spec: { name: 'bad', type: 'LOCAL', storage_backings: [] } },
    });
    expectVapiError(none, 400, 'invalid_argument');
  });

  it('manages items: create, duplicate name, get, list, find, update, delete', async () => {
    const { client: c, libraryId } = await fixture(sim, 'iso', ['admin', 'secret']);
    const id = await c.createItem(libraryId, 'disk', 'iso');
    expectVapiError(
      await c.request('POST', '/content/library/item', {
        body: { create_spec: { library_id: libraryId, name: 'disk', type: 'iso' } },
      }),
      400,
      'already_exists',
    );
    expect(await c.getItem(id)).toMatchObject({ name: 'disk', type: 'iso', content_version: '1', size: 0 });
    expect(
      await c.value<string[]>('GET', '/content/library/item', { query: { library_id: libraryId } }),
    ).toContain(id);
    expect(
      await c.value('POST', '/content/library/item', {
        action: 'find',
        body: { spec: { library_id: libraryId, name: 'disk' } },
      }),
    ).toEqual([id]);
    await c.ok('PATCH', `/content/library/item/id:${id}`, { body: { update_spec: { description: 'new' } } });
    expect(await c.value('GET', `/content/library/item/id:${id}`)).toMatchObject({
      description: 'new',
      metadata_version: '2',
    });
    await c.ok('DELETE', `/content/library/item/id:${id}`);
    expectVapiError(await c.request('GET', `/content/library/item/id:${id}`), 404, 'not_found');
    expectVapiError(
      await c.request('POST', '/content/library/item', {
        body: { create_spec: { library_id: randomUUID(), name: 'x' } },
      }),
      404,
      'not_found',
    );
  });

  it('answers unknown ids and files with a vAPI not_found body and status 404 (vcsim: plain text)', async () => {
    const c = await login();
    const res = await c.request('GET', `/content/library/item/id:${randomUUID()}`);
    const body = expectVapiError(res, 404, 'not_found');
    expect(body.value.messages[0]?.default_message).toMatch(/does not exist/);
    const { itemId } = await fixture(sim, 'iso', ['admin', 'secret']);
    expectVapiError(
      await c.request('POST', `/content/library/item/file/id:${itemId}`, {
        action: 'get',
        body: { name: 'nope' },
      }),
      404,
      'not_found',
      'ITEM_FILE_NOT_FOUND',
    );
    expectVapiError(await c.request('GET', '/content/nothing-here'), 404, 'operation_not_found');
  });

  it('refuses a malformed client_token for items with invalid_argument', async () => {
    const { client: c, libraryId } = await fixture(sim, 'iso', ['admin', 'secret']);
    const res = await c.request('POST', '/content/library/item', {
      body: { client_token: 'not-a-uuid', create_spec: { library_id: libraryId, name: 'n' } },
    });
    expectVapiError(res, 400, 'invalid_argument', 'CLIENT_TOKEN_UUID');
  });
});
