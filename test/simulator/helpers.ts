/**
 * Test helpers: a raw /rest client over fetch (no project code, so the tests check the wire),
 * streaming PUTs over node:http, and fixtures.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ContentLibrarySimulator } from './index';

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text ('' for empty). */
  body: unknown;
}

export interface VapiErrorBody {
  type: string;
  value: { messages: Array<{ id: string; default_message: string; args: string[] }> };
}

export const sha1 = (data: Buffer | string): string => createHash('sha1').update(data).digest('hex');
export const md5 = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const REST = '/rest/com/vmware';

/** A minimal /rest client; every call returns status, headers and body, never throws on HTTP errors. */
export class RawClient {
  token: string | undefined;
  constructor(readonly base: string) {}

  async login(user = 'user', password = 'pass'): Promise<RawResponse> {
    const res = await this.request('POST', '/cis/session', {
      headers: {
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
        'vmware-use-header-authn': 'true',
      },
      auth: false,
    });
    if (res.status === 200) this.token = (res.body as { value: string }).value;
    return res;
  }

  async request(
    method: string,
    path: string,
    opts: {
      body?: unknown;
      action?: string;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      auth?: boolean;
    } = {},
  ): Promise<RawResponse> {
    const url = new URL(path.startsWith('http') ? path : `${this.base}${REST}${path}`);
    if (opts.action) url.searchParams.set('~action', opts.action);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (opts.auth !== false && this.token) headers['vmware-api-session-id'] = this.token;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** Calls and returns `.value`, failing the test with the body when the status is not 200. */
  async value<T = unknown>(
    method: string,
    path: string,
    opts: Parameters<RawClient['request']>[2] = {},
  ): Promise<T> {
    const res = await this.request(method, path, opts);
    if (res.status !== 200)
      throw new Error(`${method} ${path} ${opts.action ?? ''} -> ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as { value: T }).value;
  }

  /** Calls an action that returns nothing; fails unless 200. */
  async ok(method: string, path: string, opts: Parameters<RawClient['request']>[2] = {}): Promise<void> {
    const res = await this.request(method, path, opts);
    if (res.status !== 200)
      throw new Error(`${method} ${path} ${opts.action ?? ''} -> ${res.status} ${JSON.stringify(res.body)}`);
  }

  // -- shortcuts mirroring the API vocabulary ----------------------------------------------------
  createLibrary(datastoreId: string, name = `lib-${randomUUID()}`): Promise<string> {
    return this.value('POST', '/content/local-library', {
      body: {
        create_spec: {
          name,
          type: 'LOCAL',
          storage_backings: [{ type: 'DATASTORE', datastore_id: datastoreId }],
        },
      },
    });
  }
  createItem(libraryId: string, name = `item-${randomUUID()}`, type = 'iso'): Promise<string> {
    return this.value('POST', '/content/library/item', {
      body: { create_spec: { library_id: libraryId, name, type, description: '' } },
    });
  }
  getItem(itemId: string): Promise<{ content_version: string; size: number; type: string; name: string }> {
    return this.value('GET', `/content/library/item/id:${itemId}`);
  }
  listItemFiles(itemId: string): Promise<
    Array<{
      name: string;
      size: number;
      version: string;
      checksum_info: { algorithm: string; checksum: string };
    }>
  > {
    return this.value('GET', '/content/library/item/file', { query: { library_item_id: itemId } });
  }
  createUpdateSession(itemId: string, clientToken?: string): Promise<RawResponse> {
    return this.request('POST', '/content/library/item/update-session', {
      body: {
        ...(clientToken ? { client_token: clientToken } : {}),
        create_spec: { library_item_id: itemId },
      },
    });
  }
  getUpdateSession(id: string): Promise<RawResponse> {
    return this.request('GET', `/content/library/item/update-session/id:${id}`);
  }
  updateSessionAction(id: string, action: string, body?: unknown): Promise<RawResponse> {
    return this.request('POST', `/content/library/item/update-session/id:${id}`, { action, body });
  }
  addFile(sessionId: string, spec: Record<string, unknown>): Promise<RawResponse> {
    return this.request('POST', `/content/library/item/updatesession/file/id:${sessionId}`, {
      action: 'add',
      body: { file_spec: spec },
    });
  }
  sessionFile(sessionId: string, name: string): Promise<UpdateFileInfo> {
    return this.value('POST', `/content/library/item/updatesession/file/id:${sessionId}`, {
      action: 'get',
      body: { file_name: name },
    });
  }
  validate(sessionId: string): Promise<RawResponse> {
    return this.request('POST', `/content/library/item/updatesession/file/id:${sessionId}`, {
      action: 'validate',
    });
  }
  createDownloadSession(itemId: string, clientToken?: string): Promise<RawResponse> {
    return this.request('POST', '/content/library/item/download-session', {
      body: {
        ...(clientToken ? { client_token: clientToken } : {}),
        create_spec: { library_item_id: itemId },
      },
    });
  }
  getDownloadSession(id: string): Promise<RawResponse> {
    return this.request('GET', `/content/library/item/download-session/id:${id}`);
  }
  downloadSessionAction(id: string, action: string, body?: unknown): Promise<RawResponse> {
    return this.request('POST', `/content/library/item/download-session/id:${id}`, { action, body });
  }
  prepare(sessionId: string, name: string, endpointType?: 'HTTPS' | 'DIRECT'): Promise<RawResponse> {
    return this.request('POST', `/content/library/item/downloadsession/file/id:${sessionId}`, {
      action: 'prepare',
      body: { file_name: name, ...(endpointType ? { endpoint_type: endpointType } : {}) },
    });
  }
  downloadFile(sessionId: string, name: string): Promise<DownloadFileInfo> {
    return this.value('POST', `/content/library/item/downloadsession/file/id:${sessionId}`, {
      action: 'get',
      body: { file_name: name },
    });
  }
  /** Polls until the file leaves the prepare states; returns its info. */
  async waitPrepared(sessionId: string, name: string, timeoutMs = 5000): Promise<DownloadFileInfo> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.downloadFile(sessionId, name);
      if (info.status === 'PREPARED' || info.status === 'ERROR' || Date.now() > deadline) return info;
      await sleep(10);
    }
  }
  /** Raw GET of a transfer URL with the session header. */
  fetchData(uri: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(uri, {
      headers: { ...(this.token ? { 'vmware-api-session-id': this.token } : {}), ...headers },
    });
  }
  /** PUT of a whole buffer to an upload endpoint. */
  async put(uri: string, data: Buffer | string, headers: Record<string, string> = {}): Promise<RawResponse> {
    const res = await fetch(uri, {
      method: 'PUT',
      headers: { ...(this.token ? { 'vmware-api-session-id': this.token } : {}), ...headers },
      body: data,
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
    };
  }
}

export interface UpdateFileInfo {
  name: string;
  source_type: string;
  status: string;
  bytes_transferred: number;
  size?: number;
  upload_endpoint?: { uri: string };
  error_message?: { default_message: string };
}

export interface DownloadFileInfo {
  name: string;
  status: string;
  bytes_transferred: number;
  size?: number;
  download_endpoint?: { uri: string };
  checksum_info?: { algorithm: string; checksum: string };
  error_message?: { default_message: string };
}

/** Asserts a vAPI error: status, type and (optionally) the simulator rule in the message id. */
export function expectVapiError(
  res: RawResponse,
  status: number,
  kind: string,
  rule?: string,
): VapiErrorBody {
  if (res.status !== status)
    throw new Error(`expected ${status} ${kind}, got ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as VapiErrorBody;
  expect(body.type).toBe(`com.vmware.vapi.std.errors.${kind}`);
  expect(Array.isArray(body.value.messages)).toBe(true);
  if (rule) expect(body.value.messages[0]?.id).toBe(`clsim.${rule}`);
  return body;
}

/** Logs in and creates a library and an item. */
export async function fixture(
  sim: ContentLibrarySimulator,
  itemType = 'iso',
  credentials: [string, string] = ['user', 'pass'],
): Promise<{ client: RawClient; libraryId: string; itemId: string }> {
  const client = new RawClient(sim.url);
  await client.login(...credentials);
  const libraryId = await client.createLibrary(sim.datastoreId);
  const itemId = await client.createItem(libraryId, undefined, itemType);
  return { client, libraryId, itemId };
}

/** Creates an update session, PUSHes the files and completes it; returns the session id. */
export async function uploadFiles(
  client: RawClient,
  itemId: string,
  files: Record<string, Buffer | string>,
): Promise<string> {
  const created = await client.createUpdateSession(itemId);
  if (created.status !== 200) throw new Error(`create update session: ${JSON.stringify(created.body)}`);
  const sessionId = (created.body as { value: string }).value;
  for (const [name, data] of Object.entries(files)) {
    const added = await client.addFile(sessionId, {
      name,
      source_type: 'PUSH',
      size: Buffer.byteLength(data),
    });
    const uri = (added.body as { value: UpdateFileInfo }).value.upload_endpoint?.uri ?? '';
    const put = await client.put(uri, data);
    if (put.status !== 200) throw new Error(`PUT ${name}: ${put.status} ${JSON.stringify(put.body)}`);
  }
  await client.ok('POST', `/content/library/item/update-session/id:${sessionId}`, { action: 'complete' });
  return sessionId;
}

/**
 * Starts a streaming PUT over node:http; the caller writes chunks at its own pace. `done` resolves
 * with the status (or rejects when the connection is cut).
 */
export function streamingPut(
  uri: string,
  token: string,
  contentLength?: number,
): { req: http.ClientRequest; done: Promise<{ status: number; body: string }> } {
  const url = new URL(uri);
  const req = http.request(url, {
    method: 'PUT',
    agent: false,
    headers: {
      'vmware-api-session-id': token,
      ...(contentLength !== undefined ? { 'content-length': String(contentLength) } : {}),
    },
  });
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { req, done };
}

/** Writes and waits for the chunk to be flushed to the socket. */
export function writeChunk(req: http.ClientRequest, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => req.write(chunk, (err) => (err ? reject(err) : resolve())));
}
