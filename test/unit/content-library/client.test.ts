import { createHash } from 'node:crypto';
import type http from 'node:http';
import { Readable } from 'node:stream';

import { ContentLibraryClient, SESSION_HEADER } from '../../../activities/content-library/client';
import type { ContentLibraryError } from '../../../activities/content-library/errors';
import { drain, type FakeVapi, sendValue, sendVapiError, startFakeVapi } from './fake-server';

const SESSION_ID = 'us-1';
const sessionValue = {
  id: SESSION_ID,
  library_item_id: 'item-1',
  library_item_content_version: '1',
  state: 'ACTIVE',
  expiration_time: '2026-11-24T22:24:42.13296241Z',
};

let server: FakeVapi;
let client: ContentLibraryClient;
let logs: Array<{ obj: object; msg?: string }>;

beforeEach(async () => {
  server = await startFakeVapi({ streamingPaths: /\/cis\/data\// });
  logs = [];
  client = new ContentLibraryClient({
    url: server.url,
    username: 'user',
    password: 'pass',
    logger: { debug: (obj, msg) => logs.push(msg === undefined ? { obj } : { obj, msg }) },
  });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

async function failureOf(p: Promise<unknown>): Promise<ContentLibraryError> {
  try {
    await p;
  } catch (err) {
    return err as ContentLibraryError;
  }
  throw new Error('expected a failure');
}

// Calls other than logins: the /rest login and the /api/session probe of the default apiFlavor auto.
const apiRequests = () =>
  server.requests.filter(
    (r) => !r.url.startsWith('/rest/com/vmware/cis/session') && r.url !== '/api/session',
  );
const logins = () =>
  server.requests.filter((r) => r.url === '/rest/com/vmware/cis/session' && r.method === 'POST');

describe('session', () => {
  it('logs in with Basic auth and header authn, then sends the token on every call', async () => {
    server.route = (req, res) =>
      req.url === '/rest/com/vmware/content/library' ? (sendValue(res, ['a']), true) : false;
    expect(await client.listLibraries()).toEqual(['a']);
    expect(await client.listLibraries()).toEqual(['a']);
    expect(logins()).toHaveLength(1);
    expect(logins()[0]!.headers.authorization).toBe(`Basic ${Buffer.from('user:pass').toString('base64')}`);
    expect(logins()[0]!.headers['vmware-use-header-authn']).toBe('true');
    expect(apiRequests().map((r) => r.headers[SESSION_HEADER])).toEqual([server.tokens[0], server.tokens[0]]);
  });

  it('shares one login among concurrent first calls', async () => {
    server.route = (req, res) =>
      req.url === '/rest/com/vmware/content/library' ? (sendValue(res, []), true) : false;
    await Promise.all([client.listLibraries(), client.listLibraries(), client.listLibraries()]);
    expect(logins()).toHaveLength(1);
  });

  it('reports refused credentials as a non-retryable UnauthenticatedError without the password', async () => {
    const bad = new ContentLibraryClient({ url: server.url, username: 'user', password: 'wrong-password' });
    const e = await failureOf(bad.listLibraries());
    await bad.close();
    expect(e.name).toBe('UnauthenticatedError');
    expect(e.retryable).toBe(false);
    expect(e.operation).toBe('login');
    expect(e.message).toContain('"user"');
    expect(e.message).not.toContain('wrong-password');
  });

  it('re-logs in once and replays an idempotent call whose session expired', async () => {
    server.route = (req, res) =>
      req.url === `/rest/com/vmware/content/library/item/update-session/id:${SESSION_ID}`
        ? (sendValue(res, sessionValue), true)
        : false;
    await client.login();
    server.valid.clear(); // the server forgets the session
    const s = await client.getUpdateSession(SESSION_ID);
    expect(s.state).toBe('ACTIVE');
    expect(logins()).toHaveLength(2);
    const calls = apiRequests();
    expect(calls.map((r) => r.headers[SESSION_HEADER])).toEqual([server.tokens[0], server.tokens[1]]);
  });

  it('gives up after one fresh login that is still refused', async () => {
    server.route = (_req, res) => {
      res.writeHead(401);
      res.end();
      return true;
    };
    const e = await failureOf(client.getUpdateSession(SESSION_ID));
    expect(e.name).toBe('UnauthenticatedError');
    expect(e.retryable).toBe(false);
    expect(logins()).toHaveLength(2);
    expect(apiRequests()).toHaveLength(2);
  });

  it('does not replay a create without client token after a 401, but the next call logs in again', async () => {
    let creates = 0;
    server.route = (req, res) => {
      if (req.url === '/rest/com/vmware/content/library/item/update-session' && req.method === 'POST') {
        creates++;
        sendValue(res, 'new-session');
        return true;
      }
      return false;
    };
    await client.login();
    server.valid.clear();
    const e = await failureOf(client.createUpdateSession({ library_item_id: 'item-1' }));
    expect(e.name).toBe('UnauthenticatedError');
    expect(e.retryable).toBe(true);
    expect(creates).toBe(0);
    expect(await client.createUpdateSession({ library_item_id: 'item-1' })).toBe('new-session');
    expect(logins()).toHaveLength(2);
  });

  it('replays a create that carries a client token, with the same body', async () => {
    server.route = (req, res) => {
      if (req.url === '/rest/com/vmware/content/library/item/update-session' && req.method === 'POST') {
        sendValue(res, 'new-session');
        return true;
      }
      return false;
    };
    await client.login();
    server.valid.clear();
    const token = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
    expect(await client.createUpdateSession({ library_item_id: 'item-1' }, token)).toBe('new-session');
    const creates = apiRequests();
    expect(creates).toHaveLength(2);
    for (const r of creates) {
      expect(JSON.parse(r.body)).toEqual({ client_token: token, create_spec: { library_item_id: 'item-1' } });
    }
  });

  it('logs out with DELETE and logs in again on the next call', async () => {
    server.route = (req, res) =>
      req.url === '/rest/com/vmware/content/library' ? (sendValue(res, []), true) : false;
    await client.login();
    await client.logout();
    expect(client.hasSession).toBe(false);
    expect(
      server.requests.some((r) => r.method === 'DELETE' && r.url === '/rest/com/vmware/cis/session'),
    ).toBe(true);
    expect(server.valid.size).toBe(0);
    await client.listLibraries();
    expect(logins()).toHaveLength(2);
  });
});

describe('request shapes', () => {
  let replies: Record<string, unknown>;
  beforeEach(() => {
    replies = {};
    server.route = (req, res) => {
      const key = `${req.method} ${req.url}`;
      if (!(key in replies)) return false;
      const v = replies[key];
      if (v === undefined) {
        res.writeHead(200);
        res.end();
      } else sendValue(res, v);
      return true;
    };
  });
  const last = () => apiRequests()[apiRequests().length - 1]!;
  const base = '/rest/com/vmware/content';

  it('creates a local library on a datastore', async () => {
    replies[`POST ${base}/local-library`] = 'lib-1';
    expect(await client.createLibrary({ name: 'L', datastore_id: 'datastore-59' }, 'tok-uuid')).toBe('lib-1');
    expect(JSON.parse(last().body)).toEqual({
      client_token: 'tok-uuid',
      create_spec: {
        name: 'L',
        type: 'LOCAL',
        storage_backings: [{ type: 'DATASTORE', datastore_id: 'datastore-59' }],
      },
    });
    expect(last().headers['content-type']).toBe('application/json');
  });

  it('finds items with ~action=find and a spec body', async () => {
    replies[`POST ${base}/library/item?~action=find`] = ['i1'];
    expect(await client.findLibraryItems({ library_id: 'lib-1', name: 'n' })).toEqual(['i1']);
    expect(JSON.parse(last().body)).toEqual({ spec: { library_id: 'lib-1', name: 'n' } });
  });

  it('lists items of a library by query parameter, reading a Go nil slice as empty', async () => {
    replies[`GET ${base}/library/item?library_id=lib-1`] = null;
    expect(await client.listLibraryItems('lib-1')).toEqual([]);
  });

  it('keeps an update session alive with client_progress and the hyphenated action', async () => {
    replies[`POST ${base}/library/item/update-session/id:${SESSION_ID}?~action=keep-alive`] = undefined;
    await client.keepAliveUpdateSession(SESSION_ID, 42);
    expect(JSON.parse(last().body)).toEqual({ client_progress: 42 });
    await client.keepAliveUpdateSession(SESSION_ID);
    expect(last().body).toBe('');
  });

  it('fails an update session with the client error message', async () => {
    replies[`POST ${base}/library/item/update-session/id:${SESSION_ID}?~action=fail`] = undefined;
    await client.failUpdateSession(SESSION_ID, 'disk read failed');
    expect(JSON.parse(last().body)).toEqual({ client_error_message: 'disk read failed' });
  });

  it('keeps a download session alive with progress', async () => {
    replies[`POST ${base}/library/item/download-session/id:ds-1?~action=keep-alive`] = undefined;
    await client.keepAliveDownloadSession('ds-1', 7);
    expect(JSON.parse(last().body)).toEqual({ progress: 7 });
  });

  it('adds a PUSH file with a file_spec body and parses the upload endpoint', async () => {
    replies[`POST ${base}/library/item/updatesession/file/id:${SESSION_ID}?~action=add`] = {
      name: 'a.bin',
      source_type: 'PUSH',
      status: 'WAITING_FOR_TRANSFER',
      upload_endpoint: { uri: `${server.url}/rest/com/vmware/cis/data/u1/a.bin` },
    };
    const info = await client.addUpdateSessionFile(SESSION_ID, {
      name: 'a.bin',
      source_type: 'PUSH',
      size: 3,
      checksum_info: { algorithm: 'SHA1', checksum: 'ab' },
    });
    expect(info.upload_endpoint?.uri).toContain('/cis/data/u1/a.bin');
    expect(info.bytes_transferred).toBe(0);
    expect(JSON.parse(last().body)).toEqual({
      file_spec: {
        name: 'a.bin',
        source_type: 'PUSH',
        size: 3,
        checksum_info: { algorithm: 'SHA1', checksum: 'ab' },
      },
    });
  });

  it('prepares a download file as HTTPS by default', async () => {
    replies[`POST ${base}/library/item/downloadsession/file/id:ds-1?~action=prepare`] = {
      name: 'a.bin',
      status: 'PREPARED',
      bytes_transferred: 0,
    };
    const f = await client.prepareDownloadSessionFile('ds-1', 'a.bin');
    expect(f.status).toBe('PREPARED');
    expect(JSON.parse(last().body)).toEqual({ file_name: 'a.bin', endpoint_type: 'HTTPS' });
  });

  it('escapes ids but keeps the colons of URN ids', async () => {
    const id = 'urn:vmomi:InventoryServiceTag:abc def:GLOBAL';
    replies[`DELETE ${base}/library/item/id:urn:vmomi:InventoryServiceTag:abc%20def:GLOBAL`] = undefined;
    await client.deleteLibraryItem(id);
    expect(last().method).toBe('DELETE');
  });

  it('gets item storage with file_name and item files with name', async () => {
    replies[`POST ${base}/library/item/storage/id:i1?~action=get`] = [
      {
        storage_backing: { type: 'DATASTORE', datastore_id: 'ds' },
        storage_uris: ['/x'],
        name: 'a',
        checksum_info: { checksum: '' },
      },
    ];
    const st = await client.getLibraryItemStorage('i1', 'a');
    expect(st[0]?.checksum_info).toBeUndefined();
    expect(JSON.parse(last().body)).toEqual({ file_name: 'a' });
    replies[`POST ${base}/library/item/file/id:i1?~action=get`] = {
      name: 'a',
      size: 3,
      cached: true,
      version: '1',
    };
    expect((await client.getLibraryItemFile('i1', 'a')).size).toBe(3);
    expect(JSON.parse(last().body)).toEqual({ name: 'a' });
  });

  it('turns a response with an unknown state into a ResponseValidationError', async () => {
    replies[`GET ${base}/library/item/update-session/id:${SESSION_ID}`] = {
      ...sessionValue,
      state: 'PAUSED',
    };
    const e = await failureOf(client.getUpdateSession(SESSION_ID));
    expect(e.name).toBe('ResponseValidationError');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('state');
  });

  it('reports a 200 without value plainly (vcsim does this for an unknown file name)', async () => {
    replies[`POST ${base}/library/item/updatesession/file/id:${SESSION_ID}?~action=get`] = undefined;
    const e = await failureOf(client.getUpdateSessionFile(SESSION_ID, 'missing.bin'));
    expect(e.name).toBe('ResponseValidationError');
    expect(e.message).toBe('getUpdateSessionFile: server answered HTTP 200 without a value');
  });

  it('logs each call without secrets', async () => {
    replies[`GET ${base}/library`] = [];
    await client.listLibraries();
    const text = JSON.stringify(logs);
    expect(logs.some((l) => (l.obj as { operation?: string }).operation === 'listLibraries')).toBe(true);
    expect(text).not.toContain(server.tokens[0]!);
    expect(text).not.toContain('pass');
  });
});

describe('error responses', () => {
  it('maps a vAPI 400 body to its class with the server message', async () => {
    server.route = (_req, res) => (
      sendVapiError(res, 400, 'not_allowed_in_current_state', 'Session is not ACTIVE'),
      true
    );
    const e = await failureOf(client.completeUpdateSession(SESSION_ID));
    expect(e.name).toBe('NotAllowedInCurrentStateError');
    expect(e.status).toBe(400);
    expect(e.operation).toBe('completeUpdateSession');
    expect(e.serverMessage).toBe('Session is not ACTIVE');
  });

  it("maps vcsim's plain-text 404", async () => {
    const e = await failureOf(client.getLibrary('nope'));
    expect(e.name).toBe('NotFoundError');
    expect(e.message).toBe('getLibrary failed: NOT_FOUND (HTTP 404): 404 page not found');
  });

  it('never leaks the session token that a server echoes in an error', async () => {
    server.route = (req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error handling session ${String(req.headers[SESSION_HEADER])}`);
      return true;
    };
    const e = await failureOf(client.listLibraries());
    expect(e.name).toBe('InternalServerError');
    expect(server.tokens[0]).toBeDefined();
    expect(e.message).not.toContain(server.tokens[0]!);
    expect(e.message).toContain('[REDACTED]');
  });

  it('maps a refused connection to a retryable TransportError', async () => {
    const port = server.port;
    await server.close();
    const c = new ContentLibraryClient({ url: `http://127.0.0.1:${port}`, username: 'u', password: 'p' });
    const e = await failureOf(c.listLibraries());
    await c.close();
    expect(e.name).toBe('TransportError');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('ECONNREFUSED');
    server = await startFakeVapi(); // for afterEach
  });

  it('times out a hung control-plane call as a retryable TransportError', async () => {
    server.route = () => new Promise<void>(() => undefined).then(() => true); // never answers
    const c = new ContentLibraryClient({
      url: server.url,
      username: 'user',
      password: 'pass',
      requestTimeoutMs: 200,
    });
    const e = await failureOf(c.listLibraries());
    await c.close();
    expect(e.name).toBe('TransportError');
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/UND_ERR_HEADERS_TIMEOUT/);
  });
});

describe('uploadToEndpoint', () => {
  const uploadUrl = () => `${server.url}/rest/com/vmware/cis/data/u1/disk.bin`;

  function receiving(onRequest?: (req: http.IncomingMessage) => void) {
    const received: { chunks: Buffer[]; headers?: http.IncomingHttpHeaders } = { chunks: [] };
    server.route = async (req, res) => {
      if (!req.url?.startsWith('/rest/com/vmware/cis/data/u1/')) return false;
      received.headers = req.headers;
      onRequest?.(req);
      for await (const c of req) received.chunks.push(c as Buffer);
      res.writeHead(200);
      res.end();
      return true;
    };
    return received;
  }

  it('streams the body with content-length, the session header and progress', async () => {
    const received = receiving();
    const data = Buffer.alloc(1_000_000, 3);
    const progress: number[] = [];
    const res = await client.uploadToEndpoint(
      uploadUrl(),
      Readable.from([data.subarray(0, 400_000), data.subarray(400_000)]),
      {
        size: data.length,
        onProgress: (b) => progress.push(b),
      },
    );
    expect(res).toEqual({ status: 200, bytes: data.length });
    expect(received.headers?.['content-length']).toBe(String(data.length));
    expect(received.headers?.[SESSION_HEADER]).toBe(server.tokens[0]);
    expect(createHash('sha1').update(Buffer.concat(received.chunks)).digest('hex')).toBe(
      createHash('sha1').update(data).digest('hex'),
    );
    expect(progress[progress.length - 1]).toBe(data.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('is done with each chunk before asking for the next, so a source may reuse one buffer', async () => {
    // A slow reader keeps the socket full, so the client must wait for it to drain: were a
    // chunk still queued when the next is asked for, the refill below would corrupt it.
    const received = createHash('sha1');
    server.route = async (req, res) => {
      if (!req.url?.startsWith('/rest/com/vmware/cis/data/u1/')) return false;
      for await (const c of req) {
        received.update(c as Buffer);
        await new Promise((r) => setTimeout(r, 1));
      }
      res.writeHead(200);
      res.end();
      return true;
    };
    const chunk = 256 * 1024;
    const chunks = 48;
    const sent = createHash('sha1');
    async function* reusing() {
      const buf = Buffer.alloc(chunk);
      for (let i = 0; i < chunks; i++) {
        await Promise.resolve();
        buf.fill(i);
        sent.update(buf);
        yield buf;
      }
    }
    const res = await client.uploadToEndpoint(uploadUrl(), reusing(), { size: chunks * chunk });
    expect(res.bytes).toBe(chunks * chunk);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
  });

  it('uses chunked encoding when the size is unknown', async () => {
    const received = receiving();
    await client.uploadToEndpoint(uploadUrl(), Readable.from([Buffer.from('abc')]));
    expect(received.headers?.['transfer-encoding']).toBe('chunked');
    expect(Buffer.concat(received.chunks).toString()).toBe('abc');
  });

  it('sends bytes before the source has produced them all (never buffers the file)', async () => {
    let firstArrived!: () => void;
    const arrived = new Promise<void>((r) => (firstArrived = r));
    server.route = async (req, res) => {
      if (!req.url?.startsWith('/rest/com/vmware/cis/data/u1/')) return false;
      let n = 0;
      for await (const c of req) {
        n += (c as Buffer).length;
        if (n >= 1000) firstArrived();
      }
      res.writeHead(200);
      res.end();
      return true;
    };
    async function* source() {
      yield Buffer.alloc(1000, 1);
      // Deadlocks (and the test times out) if the client waited for the whole body first.
      await arrived;
      yield Buffer.alloc(1000, 2);
    }
    expect((await client.uploadToEndpoint(uploadUrl(), source(), { size: 2000 })).bytes).toBe(2000);
  });

  it('rejects with the signal reason when aborted mid-upload', async () => {
    receiving();
    const ac = new AbortController();
    const reason = new Error('activity cancelled');
    async function* source() {
      yield Buffer.alloc(1000);
      ac.abort(reason);
      await new Promise((r) => setTimeout(r, 50));
      yield Buffer.alloc(1000);
    }
    await expect(client.uploadToEndpoint(uploadUrl(), source(), { signal: ac.signal })).rejects.toBe(reason);
  });

  it('fails a stalled upload with a retryable TransportError after the idle timeout', async () => {
    receiving();
    const c = new ContentLibraryClient({
      url: server.url,
      username: 'user',
      password: 'pass',
      transferIdleTimeoutMs: 150,
    });
    async function* stalls() {
      yield Buffer.alloc(10);
      await new Promise((r) => setTimeout(r, 2000));
      yield Buffer.alloc(10);
    }
    const e = await failureOf(c.uploadToEndpoint(uploadUrl(), stalls()));
    await c.close();
    expect(e.name).toBe('TransportError');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('no upload progress for 150 ms');
  });

  it("maps vcsim's plain-text 500 and drains the response", async () => {
    server.route = async (req, res) => {
      await drain(req);
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('invalid file name\n');
      return true;
    };
    const e = await failureOf(client.uploadToEndpoint(uploadUrl(), Readable.from([Buffer.from('x')])));
    expect(e.name).toBe('InternalServerError');
    expect(e.retryable).toBe(true);
    expect(e.serverMessage).toBe('invalid file name');
  });

  it('does not replay an upload on 401 but makes the next attempt log in again', async () => {
    receiving();
    await client.login();
    server.valid.clear();
    const e = await failureOf(client.uploadToEndpoint(uploadUrl(), Readable.from([Buffer.from('x')])));
    expect(e.name).toBe('UnauthenticatedError');
    expect(e.retryable).toBe(true);
    expect(logins()).toHaveLength(1);
    await client.uploadToEndpoint(uploadUrl(), Readable.from([Buffer.from('x')]));
    expect(logins()).toHaveLength(2);
  });
});

describe('downloadFromEndpoint', () => {
  const content = Buffer.from('0123456789abcdefghij');
  const downloadUrl = () => `${server.url}/rest/com/vmware/cis/data/d1/disk.bin`;

  function serving(honourRange: boolean, contentRangeStart?: number) {
    server.route = (req, res) => {
      if (req.url !== '/rest/com/vmware/cis/data/d1/disk.bin') return false;
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (honourRange && m) {
        const start = Number(m[1]);
        const end = m[2] ? Number(m[2]) : content.length - 1;
        const slice = content.subarray(start, end + 1);
        res.writeHead(206, {
          'content-length': slice.length,
          'content-range': `bytes ${contentRangeStart ?? start}-${end}/${content.length}`,
        });
        res.end(slice);
      } else {
        res.writeHead(200, { 'content-length': content.length });
        res.end(content);
      }
      return true;
    };
  }

  async function text(body: Readable): Promise<string> {
    let s = '';
    for await (const c of body) s += String(c);
    return s;
  }

  it('streams the whole file with the session header', async () => {
    serving(true);
    const res = await client.downloadFromEndpoint(downloadUrl());
    expect(res.status).toBe(200);
    expect(res.contentLength).toBe(content.length);
    expect(res.rangeHonoured).toBe(true);
    expect(await text(res.body)).toBe(content.toString());
    expect(apiRequests()[0]!.headers[SESSION_HEADER]).toBe(server.tokens[0]);
    expect(apiRequests()[0]!.headers.range).toBeUndefined();
  });

  it('asks for a range and reports it honoured on a matching 206', async () => {
    serving(true);
    const res = await client.downloadFromEndpoint(downloadUrl(), { range: { start: 5, end: 9 } });
    expect(apiRequests()[0]!.headers.range).toBe('bytes=5-9');
    expect(res.status).toBe(206);
    expect(res.rangeHonoured).toBe(true);
    expect(res.contentLength).toBe(5);
    expect(await text(res.body)).toBe('56789');
  });

  it('sends an open-ended range', async () => {
    serving(true);
    const res = await client.downloadFromEndpoint(downloadUrl(), { range: { start: 15 } });
    expect(apiRequests()[0]!.headers.range).toBe('bytes=15-');
    expect(await text(res.body)).toBe('fghij');
  });

  it('reports rangeHonoured false when the server ignores Range (as vcsim does)', async () => {
    serving(false);
    const res = await client.downloadFromEndpoint(downloadUrl(), { range: { start: 5 } });
    expect(res.status).toBe(200);
    expect(res.rangeHonoured).toBe(false);
    expect(await text(res.body)).toBe(content.toString());
  });

  it('refuses a 206 whose Content-Range starts elsewhere', async () => {
    serving(true, 0);
    const e = await failureOf(client.downloadFromEndpoint(downloadUrl(), { range: { start: 5 } }));
    expect(e.name).toBe('ResponseValidationError');
    expect(e.message).toContain('bytes 0-19/20');
  });

  it('re-logs in once on 401 and retries the GET', async () => {
    serving(true);
    await client.login();
    server.valid.clear();
    const res = await client.downloadFromEndpoint(downloadUrl());
    expect(await text(res.body)).toBe(content.toString());
    expect(logins()).toHaveLength(2);
  });

  it('maps an error status after draining its body', async () => {
    server.route = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('open /x/disk.bin: no such file or directory');
      return true;
    };
    const e = await failureOf(client.downloadFromEndpoint(downloadUrl()));
    expect(e.name).toBe('InternalServerError');
    expect(e.serverMessage).toBe('open /x/disk.bin: no such file or directory');
  });

  it('aborts a body in flight with the signal reason', async () => {
    server.route = (req, res) => {
      if (req.url !== '/rest/com/vmware/cis/data/d1/disk.bin') return false;
      res.writeHead(200);
      res.write(Buffer.alloc(1000));
      // never ends
      return true;
    };
    const ac = new AbortController();
    const res = await client.downloadFromEndpoint(downloadUrl(), { signal: ac.signal });
    const reason = new Error('activity cancelled');
    const reading = (async () => {
      for await (const chunk of res.body) {
        expect((chunk as Buffer).length).toBeGreaterThan(0);
        ac.abort(reason);
      }
    })();
    await expect(reading).rejects.toBe(reason);
  });

  it('rejects with the signal reason when aborted before the response', async () => {
    server.route = () => new Promise<void>(() => undefined).then(() => true);
    const ac = new AbortController();
    const reason = new Error('cancelled early');
    const p = client.downloadFromEndpoint(downloadUrl(), { signal: ac.signal });
    setTimeout(() => ac.abort(reason), 50);
    await expect(p).rejects.toBe(reason);
  });
});

describe('rewriteTransferUri', () => {
  it('points a same-port URI announced under another host at the loopback base URL', () => {
    const c = new ContentLibraryClient({ url: 'http://127.0.0.1:8989', username: 'u', password: 'p' });
    expect(c.rewriteTransferUri('http://192.0.2.2:8989/rest/com/vmware/cis/data/x/a.bin')).toBe(
      'http://127.0.0.1:8989/rest/com/vmware/cis/data/x/a.bin',
    );
    // another port is another server
    expect(c.rewriteTransferUri('http://192.0.2.2:9999/a.bin')).toBe('http://192.0.2.2:9999/a.bin');
    void c.close();
  });

  it('leaves URIs alone by default for a non-loopback base, or when disabled', () => {
    const c = new ContentLibraryClient({ url: 'https://vc.example.com', username: 'u', password: 'p' });
    expect(c.rewriteTransferUri('https://esx1.example.com/x')).toBe('https://esx1.example.com/x');
    const d = new ContentLibraryClient({
      url: 'http://localhost:8989',
      username: 'u',
      password: 'p',
      rewriteTransferHost: false,
    });
    expect(d.rewriteTransferUri('http://10.0.0.1:8989/x')).toBe('http://10.0.0.1:8989/x');
    const e = new ContentLibraryClient({
      url: 'https://vc.example.com',
      username: 'u',
      password: 'p',
      rewriteTransferHost: true,
    });
    expect(e.rewriteTransferUri('https://10.0.0.1/x')).toBe('https://vc.example.com/x');
    void c.close();
    void d.close();
    void e.close();
  });

  it('refuses non-HTTP endpoints and malformed thumbprints as InvalidArgumentError', async () => {
    const e1 = await failureOf(client.downloadFromEndpoint('ds:///vmfs/volumes/x/a.bin'));
    expect(e1.name).toBe('InvalidArgumentError');
    expect(e1.message).toContain('ds:');
    const e2 = await failureOf(
      client.downloadFromEndpoint({ uri: `${server.url}/x`, ssl_certificate_thumbprint: 'AA:BB' }),
    );
    expect(e2.name).toBe('InvalidArgumentError');
    expect(e2.operation).toBe('downloadFromEndpoint');
  });

  it('uploads to the rewritten URI', async () => {
    const received: string[] = [];
    server.route = async (req, res) => {
      received.push(req.url ?? '');
      await drain(req);
      res.writeHead(200);
      res.end();
      return true;
    };
    await client.uploadToEndpoint(
      `http://192.0.2.123:${server.port}/rest/com/vmware/cis/data/u9/a.bin`,
      Readable.from([Buffer.from('z')]),
    );
    expect(received).toEqual(['/rest/com/vmware/cis/data/u9/a.bin']);
  });
});
