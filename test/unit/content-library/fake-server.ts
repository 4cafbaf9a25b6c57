/**
 * A tiny in-test vAPI server (node:http or node:https) for client tests: it
 * implements session login and records every request, and each test routes
 * the rest with a handler of its own.
 */
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import { generate } from 'selfsigned';

/** A request as the server saw it. */
export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Route handler; return false to fall through to the default 404. */
export type Route = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: string,
) => boolean | void | Promise<boolean | void>;

/** Options of {@link startFakeVapi}. */
export interface FakeVapiOptions {
  /** HTTPS key and certificate; plain HTTP when absent. */
  tls?: { key: string; cert: string };
  /** Accepted credentials. @default user / pass */
  username?: string;
  password?: string;
  /** Do not read the request body before routing (streaming upload tests read it themselves). */
  streamingPaths?: RegExp;
}

/** A running fake server. */
export interface FakeVapi {
  url: string;
  port: number;
  requests: Recorded[];
  /** Tokens handed out so far, in order. */
  tokens: string[];
  /** Tokens the server currently accepts; delete one to simulate expiry. */
  valid: Set<string>;
  route: Route;
  close(): Promise<void>;
}

/** Reads and discards a request body. */
export async function drain(req: http.IncomingMessage): Promise<void> {
  req.resume();
  if (!req.readableEnded) await once(req, 'end');
}

/** Writes `{"value": v}` as vCenter's /rest does. */
export function sendValue(res: http.ServerResponse, value: unknown): void {
  const body = JSON.stringify(value === undefined ? {} : { value });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Writes a vAPI /rest error body. */
export function sendVapiError(
  res: http.ServerResponse,
  status: number,
  kind: string,
  message?: string,
): void {
  const body = JSON.stringify({
    type: `com.vmware.vapi.std.errors.${kind}`,
    value: { messages: message ? [{ id: 'test.msg', default_message: message, args: [] }] : [] },
  });
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startFakeVapi(options: FakeVapiOptions = {}): Promise<FakeVapi> {
  const user = options.username ?? 'user';
  const pass = options.password ?? 'pass';
  const state: FakeVapi = {
    url: '',
    port: 0,
    requests: [],
    tokens: [],
    valid: new Set(),
    route: () => false,
    close: () => Promise.resolve(),
  };

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const streaming = options.streamingPaths?.test(req.url ?? '') ?? false;
    let body = '';
    if (!streaming) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      body = Buffer.concat(chunks).toString('utf8');
    }
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });

    // A /rest-only vCenter (before 7.0 U2): no /api at all, so a client on `auto` falls back.
    if (req.url?.startsWith('/api/')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    if (req.url === '/rest/com/vmware/cis/session' && req.method === 'POST') {
      const expected = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401);
        res.end();
        return;
      }
      const token = `tok-${state.tokens.length + 1}-0123456789abcdef`;
      state.tokens.push(token);
      state.valid.add(token);
      sendValue(res, token);
      return;
    }
    const token = req.headers['vmware-api-session-id'];
    if (typeof token !== 'string' || !state.valid.has(token)) {
      // vcsim and vCenter answer an unknown session with an empty 401.
      if (streaming) req.resume();
      res.writeHead(401);
      res.end();
      return;
    }
    if (req.url === '/rest/com/vmware/cis/session' && req.method === 'DELETE') {
      state.valid.delete(token);
      res.writeHead(200);
      res.end();
      return;
    }
    const handled = await state.route(req, res, body);
    if (handled === false) {
      if (streaming) req.resume();
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
    }
  };

  // A client that aborts mid-request makes reading the body throw "aborted":
  // expected in abort tests, so it ends the exchange instead of failing the run.
  const safe = (q: http.IncomingMessage, s: http.ServerResponse) => {
    handler(q, s).catch(() => s.destroy());
  };
  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, safe)
    : http.createServer(safe);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  state.port = port;
  state.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

/** A self-signed certificate for `altNames` (IPs and DNS names), usable as its own CA. */
export async function makeCert(altNames: Array<{ ip: string } | { dns: string }> = [{ ip: '127.0.0.1' }]) {
  const pems = await generate([{ name: 'commonName', value: 'content-library-test' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: altNames.map((a) =>
          'ip' in a ? { type: 7 as const, ip: a.ip } : { type: 2 as const, value: a.dns },
        ),
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
