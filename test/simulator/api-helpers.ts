/**
 * Test helpers for the /api flavour: a raw client over undici (no project code, so the tests check the
 * wire: bare bodies, 201/204, `?action=`), the api error assertion, and signed OVF packages made in the
 * test (descriptor, manifest, `.cert` with the manifest's signature and a PEM certificate).
 */
import { createHash, createSign } from 'node:crypto';
import { request } from 'undici';
import { generate } from 'selfsigned';
import type { ContentLibrarySimulator } from './index';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the body is JSON, else the text ('' for empty). */
  body: unknown;
}

export interface ApiErrorBody {
  error_type: string;
  messages: Array<{ id: string; default_message: string; args: string[] }>;
  challenge?: string;
}

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  auth?: boolean;
}

/** A minimal /api client; every call returns status, headers and body, never throws on HTTP errors. */
export class ApiClient {
  token: string | undefined;
  constructor(readonly base: string) {}

  async login(user = 'user', password = 'pass'): Promise<ApiResponse> {
    const res = await this.call('POST', '/session', {
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      auth: false,
    });
    if (res.status === 201) this.token = res.body as string;
    return res;
  }

  async call(method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse> {
    const url = new URL(path.startsWith('http') ? path : `${this.base}/api${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (opts.auth !== false && this.token) headers['vmware-api-session-id'] = this.token;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await request(url, { method: method as 'GET', headers, body });
    const text = await res.body.text();
    const type = String(res.headers['content-type'] ?? '');
    return {
      status: res.statusCode,
      headers: res.headers,
      body: text !== '' && type.includes('json') ? (JSON.parse(text) as unknown) : text,
    };
  }

  /** Calls and returns the bare body, failing the test unless the status is `status`. */
  async expect<T = unknown>(
    status: number,
    method: string,
    path: string,
    opts: CallOptions = {},
  ): Promise<T> {
    const res = await this.call(method, path, opts);
    if (res.status !== status)
      throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}, expected ${status}`);
    return res.body as T;
  }

  createLibrary(datastoreId: string, name = `lib-${Math.random()}`): Promise<string> {
    return this.expect(201, 'POST', '/content/local-library', {
      body: { name, type: 'LOCAL', storage_backings: [{ type: 'DATASTORE', datastore_id: datastoreId }] },
    });
  }
  createItem(libraryId: string, type = 'ovf', name = `item-${Math.random()}`): Promise<string> {
    return this.expect(201, 'POST', '/content/library/item', { body: { library_id: libraryId, name, type } });
  }
  createUpdateSession(itemId: string, extra: Record<string, unknown> = {}): Promise<string> {
    return this.expect(201, 'POST', '/content/library/item/update-session', {
      body: { library_item_id: itemId, ...extra },
    });
  }
  getUpdateSession<T = Record<string, unknown>>(id: string): Promise<T> {
    return this.expect(200, 'GET', `/content/library/item/update-session/${id}`);
  }
  /** Adds a PUSH file (201) and PUTs its content to the upload endpoint (200). */
  async push(sessionId: string, name: string, content: Buffer | string): Promise<void> {
    const info = await this.expect<{ upload_endpoint: { uri: string } }>(
      201,
      'POST',
      `/content/library/item/update-session/${sessionId}/file`,
      { body: { name, source_type: 'PUSH', size: Buffer.byteLength(content) } },
    );
    const put = await request(info.upload_endpoint.uri, {
      method: 'PUT',
      headers: { 'vmware-api-session-id': this.token ?? '' },
      body: content,
    });
    await put.body.text();
    if (put.statusCode !== 200) throw new Error(`PUT ${name} -> ${put.statusCode}`);
  }
  action(
    kind: 'update-session' | 'download-session',
    id: string,
    action: string,
    body?: unknown,
  ): Promise<ApiResponse> {
    return this.call('POST', `/content/library/item/${kind}/${id}`, { query: { action }, body });
  }
}

/** Asserts an /api error: status, error_type and (optionally) the simulator rule in the message id. */
export function expectApiError(
  res: ApiResponse,
  status: number,
  errorType: string,
  rule?: string,
): ApiErrorBody {
  if (res.status !== status)
    throw new Error(`expected ${status} ${errorType}, got ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as ApiErrorBody;
  expect(body.error_type).toBe(errorType);
  expect(Array.isArray(body.messages)).toBe(true);
  if (rule) expect(body.messages[0]?.id).toBe(`clsim.${rule}`);
  return body;
}

/** Logs in over /api and creates a library and an item. */
export async function apiFixture(
  sim: ContentLibrarySimulator,
  itemType = 'ovf',
): Promise<{ api: ApiClient; libraryId: string; itemId: string }> {
  const api = new ApiClient(sim.url);
  await api.login();
  const libraryId = await api.createLibrary(sim.datastoreId);
  const itemId = await api.createItem(libraryId, itemType);
  return { api, libraryId, itemId };
}

export interface SignedPackage {
  files: Array<[string, string]>;
  /** The signer's certificate (PEM). */
  cert: string;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * An OVF package as ovftool signs one: `name.ovf`, a disk, `name.mf` with SHA256 lines, and
 * `name.cert` = `SHA256(name.mf)= <signature hex>` followed by the signer's PEM certificate.
 * `certificate` overrides the certificate's validity; `issuer` signs it with another key pair instead of
 * its own (so it is not self-signed).
 */
export async function signedPackage(
  name: string,
  opts: { notBefore?: Date; notAfter?: Date; issuer?: { cert: string; private: string } } = {},
): Promise<SignedPackage> {
  const pems = await generate([{ name: 'commonName', value: `${name}.signer.test` }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...(opts.notBefore ? { notBeforeDate: opts.notBefore } : {}),
    ...(opts.notAfter ? { notAfterDate: opts.notAfter } : {}),
    ...(opts.issuer ? { ca: { key: opts.issuer.private, cert: opts.issuer.cert } } : {}),
  });
  const disk = `${name} disk bytes\n`;
  const ovf = `<?xml version="1.0"?><Envelope><References><File ovf:href="${name}-disk1.vmdk" ovf:id="f1"/></References></Envelope>\n`;
  const mf = `SHA256(${name}.ovf)= ${sha256(ovf)}\nSHA256(${name}-disk1.vmdk)= ${sha256(disk)}\n`;
  const signature = createSign('sha256').update(mf).sign(pems.private, 'hex');
  const cert = `SHA256(${name}.mf)= ${signature}\n${pems.cert}`;
  return {
    cert: pems.cert,
    // In the order a vCenter of 6.8 or later accepts them: metadata before the descriptor (METADATA_BEFORE_DESCRIPTOR).
    files: [
      [`${name}.mf`, mf],
      [`${name}.cert`, cert],
      [`${name}.ovf`, ovf],
      [`${name}-disk1.vmdk`, disk],
    ],
  };
}
