/**
 * The flavour of a connection: `auto` probes `POST /api/session` once and falls back to `/rest`
 * on 404 (a /rest-only server: the fake vAPI server, like vCenter before 7.0 U2 and vcsim),
 * or takes `/api` where it exists (our simulator, which serves both); `api` on a /rest-only
 * server is a login error naming the setting; `/api` answers are bare, creates 201, actions 204.
 */
import { ContentLibraryClient } from '../../../activities/content-library/client';
import type { ContentLibraryError } from '../../../activities/content-library/errors';
import { loadConfig } from '../../../temporal.config';
import { type ContentLibrarySimulator, startSimulator } from '../../simulator';
import { type FakeVapi, sendValue, startFakeVapi } from './fake-server';

async function failureOf(p: Promise<unknown>): Promise<ContentLibraryError> {
  try {
    await p;
  } catch (err) {
    return err as ContentLibraryError;
  }
  throw new Error('expected a failure');
}

describe('apiFlavor against a /rest-only server', () => {
  let server: FakeVapi;
  beforeEach(async () => {
    server = await startFakeVapi();
    server.route = (req, res) =>
      req.url === '/rest/com/vmware/content/library' ? (sendValue(res, ['lib-1']), true) : false;
  });
  afterEach(() => server.close());

  const probes = () => server.requests.filter((r) => r.url === '/api/session');

  it('auto falls back to /rest on 404 and remembers it across re-logins', async () => {
    const client = new ContentLibraryClient({ url: server.url, username: 'user', password: 'pass' });
    try {
      expect(await client.listLibraries()).toEqual(['lib-1']);
      expect(await client.flavor()).toBe('rest');
      server.valid.clear(); // the session expires: the re-login goes straight to /rest
      expect(await client.listLibraries()).toEqual(['lib-1']);
      expect(probes()).toHaveLength(1);
      expect(server.requests.filter((r) => r.url === '/rest/com/vmware/cis/session')).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it('rest never asks /api', async () => {
    const client = new ContentLibraryClient({
      url: server.url,
      username: 'user',
      password: 'pass',
      apiFlavor: 'rest',
    });
    try {
      expect(await client.listLibraries()).toEqual(['lib-1']);
      expect(probes()).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  it('api on a server without /api fails the login naming the setting to change', async () => {
    const client = new ContentLibraryClient({
      url: server.url,
      username: 'user',
      password: 'pass',
      apiFlavor: 'api',
    });
    try {
      const e = await failureOf(client.listLibraries());
      expect(e.name).toBe('NotFoundError');
      expect(e.operation).toBe('login');
      expect(e.message).toContain('apiFlavor to "rest" or "auto"');
      expect(server.requests.filter((r) => r.url.startsWith('/rest/'))).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  it('refuses updateUpdateSession on /rest without sending anything', async () => {
    const client = new ContentLibraryClient({ url: server.url, username: 'user', password: 'pass' });
    try {
      const e = await failureOf(
        client.updateUpdateSession('s1', {
          warning_behavior: [{ type: 'SELF_SIGNED_CERTIFICATE', ignored: true }],
        }),
      );
      expect(e.name).toBe('InvalidArgumentError');
      expect(e.vapiType).toBe('UNSUPPORTED');
      expect(e.retryable).toBe(false);
      expect(server.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
    } finally {
      await client.close();
    }
  });
});

describe('apiFlavor against a server with /api (the simulator)', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator({ username: 'user', password: 'pass' });
  });
  afterAll(() => sim.close());

  it.each(['auto', 'api'] as const)(
    '%s speaks /api: bare answers, 201 creates, 204 actions, preview_info',
    async (apiFlavor) => {
      const client = new ContentLibraryClient({
        url: sim.url,
        username: 'user',
        password: 'pass',
        apiFlavor,
      });
      try {
        expect(await client.flavor()).toBe('api');
        const lib = await client.createLibrary({ name: `lib-${apiFlavor}`, datastore_id: sim.datastoreId });
        const item = await client.createLibraryItem({ library_id: lib, name: 'i', type: 'ovf' });
        const token = crypto.randomUUID();
        const s1 = await client.createUpdateSession({ library_item_id: item }, token);
        // The client token (query and header) makes the create idempotent on /api too.
        expect(await client.createUpdateSession({ library_item_id: item }, token)).toBe(s1);
        await client.keepAliveUpdateSession(s1, 10);
        const s = await client.getUpdateSession(s1);
        expect(s.state).toBe('ACTIVE');
        // An ovf item without its descriptor yet: the preview is not available (simulator rule, 8.0.2 PreviewInfo).
        expect(s.preview_info?.state).toBe('UNAVAILABLE');
        await client.updateUpdateSession(s1, {
          warning_behavior: [{ type: 'SELF_SIGNED_CERTIFICATE', ignored: true }],
        });
        expect((await client.getUpdateSession(s1)).warning_behavior).toEqual([
          { type: 'SELF_SIGNED_CERTIFICATE', ignored: true },
        ]);
        await client.cancelUpdateSession(s1);
        expect((await client.getUpdateSession(s1)).state).toBe('CANCELED');
        await client.deleteLibrary(lib);
      } finally {
        await client.logout();
        await client.close();
      }
    },
  );

  it('rest on the same server leaves preview_info absent', async () => {
    const client = new ContentLibraryClient({
      url: sim.url,
      username: 'user',
      password: 'pass',
      apiFlavor: 'rest',
    });
    try {
      const lib = await client.createLibrary({ name: 'lib-rest', datastore_id: sim.datastoreId });
      const item = await client.createLibraryItem({ library_id: lib, name: 'i', type: 'ovf' });
      const s1 = await client.createUpdateSession({ library_item_id: item }, crypto.randomUUID());
      const s = await client.getUpdateSession(s1);
      expect(s.state).toBe('ACTIVE');
      expect(s.preview_info).toBeUndefined();
      expect(s.warning_behavior).toBeUndefined();
      await client.cancelUpdateSession(s1);
      await client.deleteLibrary(lib);
    } finally {
      await client.logout();
      await client.close();
    }
  });
});

describe('vcenters.<name>.apiFlavor', () => {
  const base = {
    CLO_VCENTER_LAB_URL: 'https://vc.lab.example',
    CLO_VCENTER_LAB_USERNAME: 'u',
    CLO_VCENTER_LAB_PASSWORD: 'p',
  };

  it('is read from CLO_VCENTER_<NAME>_API_FLAVOR and absent (auto) by default', () => {
    expect(loadConfig({ ...base, CLO_VCENTER_LAB_API_FLAVOR: 'rest' }).vcenters.lab!.apiFlavor).toBe('rest');
    expect(loadConfig(base).vcenters.lab!.apiFlavor).toBeUndefined();
  });

  it('refuses another value, naming the variable and the choices', () => {
    expect(() => loadConfig({ ...base, CLO_VCENTER_LAB_API_FLAVOR: 'soap' })).toThrow(
      /CLO_VCENTER_LAB_API_FLAVOR: expected auto, api or rest/,
    );
  });
});
