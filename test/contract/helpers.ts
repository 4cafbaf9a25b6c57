/** Helpers of the client contract suite: a request-recording dispatcher, raw calls, polling, a PULL source. */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';

import type { Dispatcher } from 'undici';

import {
  type ApiFlavor,
  createAgent,
  SESSION_HEADER,
  type TlsOptions,
} from '../../activities/content-library';

/** Path of the /rest login / logout resource. */
export const SESSION_PATH = '/rest/com/vmware/cis/session';

/** Paths a test checks on the wire, in the flavour the client speaks (wire.ts renders them). */
export function wirePaths(flavor: ApiFlavor): {
  session: string;
  library: string;
  libraryId(id: string): string;
} {
  return flavor === 'api'
    ? {
        session: '/api/session',
        library: '/api/content/library',
        libraryId: (id) => `/api/content/library/${id}`,
      }
    : {
        session: SESSION_PATH,
        library: '/rest/com/vmware/content/library',
        libraryId: (id) => `/rest/com/vmware/content/library/id:${id}`,
      };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const sha1 = (data: Buffer): string => createHash('sha1').update(data).digest('hex');

/** One request as it left the client. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The session token header, if sent. */
  token?: string;
  /** Whether Basic credentials were sent (login). */
  basicAuth: boolean;
}

function headerValue(headers: Dispatcher.DispatchOptions['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (Array.isArray(headers)) {
    // Flat [name, value, name, value, ...] form.
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (k.toLowerCase() === name && v !== undefined) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/**
 * A dispatcher for `ContentLibraryClient({ agent })` that records every request
 * (method, path, session token) before passing it on, so a test can see logins
 * and which token each call carried without reaching into the client.
 */
export function recordingAgent(tls?: TlsOptions): {
  agent: Dispatcher;
  requests: RecordedRequest[];
  close(): Promise<void>;
} {
  const base = createAgent(tls);
  const requests: RecordedRequest[] = [];
  const agent = base.compose((dispatch) => (opts, handler) => {
    const token = headerValue(opts.headers, SESSION_HEADER);
    requests.push({
      method: opts.method,
      path: opts.path,
      ...(token !== undefined ? { token } : {}),
      basicAuth: /^Basic /i.test(headerValue(opts.headers, 'authorization') ?? ''),
    });
    return dispatch(opts, handler);
  });
  return { agent, requests, close: () => base.close() };
}

/** The logins among recorded requests. */
export function logins(requests: readonly RecordedRequest[], sessionPath = SESSION_PATH): RecordedRequest[] {
  return requests.filter((r) => r.method === 'POST' && r.path === sessionPath);
}

/** The token of the last recorded request that carried one. */
export function lastToken(requests: readonly RecordedRequest[]): string {
  const token = [...requests].reverse().find((r) => r.token !== undefined)?.token;
  if (!token) throw new Error('no recorded request carried a session token');
  return token;
}

/** Status of a bare call with `token`, outside the client (plain HTTP only). */
export async function rawStatus(
  baseUrl: string,
  method: string,
  path: string,
  token: string,
): Promise<number> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { [SESSION_HEADER]: token, accept: 'application/json' },
  });
  await res.arrayBuffer();
  return res.status;
}

/** Reads a download body whole (test payloads are small). */
export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Calls `read` until `done` accepts its value or `timeoutMs` passes; returns the last value either way. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}

/**
 * A local HTTP server that serves `bytes` on any path: the source of a PULL.
 * With `holdAfter`, each GET sends that many bytes and then waits for `release()`.
 */
export async function serveBytes(
  bytes: Buffer,
  options: { holdAfter?: number } = {},
): Promise<{ url: string; gets(): number; release(): void; close(): Promise<void> }> {
  let gets = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = http.createServer((req, res) => {
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
    });
    if (req.method !== 'GET') {
      res.end();
      return;
    }
    gets++;
    const { holdAfter } = options;
    if (holdAfter === undefined) {
      res.end(bytes);
      return;
    }
    res.write(bytes.subarray(0, holdAfter));
    void released.then(() => res.end(bytes.subarray(holdAfter)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    gets: () => gets,
    release: () => release(),
    close: async () => {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
