/**
 * A codec server (Temporal's remote codec protocol) so the Web UI and the `temporal` CLI can
 * show sealed payloads: `POST …/encode` and `POST …/decode` take and return
 * `{"payloads": [{"metadata": {"<key>": "<base64>"}, "data": "<base64>"}]}` (Payloads in
 * proto3 JSON). Only the last path segment picks the endpoint, as the protocol asks, so it
 * can sit under any prefix. The Web UI calls it from the browser: CORS answers for the
 * configured origins only, and with an auth token set, a request without
 * `Authorization: Bearer <token>` gets 401.
 *
 * node:http is enough for two routes; a framework would add a dependency and nothing else.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';

/** Headers the Web UI sends: its namespace, and a bearer token when it passes one. */
const ALLOWED_HEADERS = 'authorization, content-type, x-namespace';
/** Histories are decoded in batches; Temporal's own payload limit is 2 MiB each. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** The dev server's Web UI (`temporal server start-dev`), under both names a browser may use. */
export const DEFAULT_CORS_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'] as const;

/** Options for {@link createCodecServer}. */
export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins (scheme://host:port) whose pages may call the server. @default DEFAULT_CORS_ORIGINS */
  corsOrigins?: readonly string[];
  /** When set, every encode/decode request must carry `Authorization: Bearer <authToken>`. */
  authToken?: string;
}

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'expected base64' });
const JsonPayloads = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), Base64).optional(),
      data: Base64.optional(),
    }),
  ),
});

function fromJson(body: z.infer<typeof JsonPayloads>): Payload[] {
  return body.payloads.map((p) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: Buffer.from(p.data ?? '', 'base64'),
  }));
}

function toJson(payloads: Payload[]): { payloads: { metadata: Record<string, string>; data: string }[] } {
  const b64 = (bytes: Uint8Array | null | undefined) =>
    Buffer.from(bytes ?? new Uint8Array()).toString('base64');
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data),
    })),
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const wanted = Buffer.from(token);
  // Constant time, so the token cannot be guessed a byte at a time from response timings.
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** An http.Server serving the codec; call `listen()` on it. */
export function createCodecServer(opts: CodecServerOptions): Server {
  const origins = new Set(opts.corsOrigins ?? DEFAULT_CORS_ORIGINS);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      // The UI's "include cross-origin credentials" setting sends cookies; allowing it is harmless otherwise.
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    res.setHeader('Vary', 'Origin');
    const endpoint = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '').split('/').pop();
    if (endpoint !== 'encode' && endpoint !== 'decode')
      throw new HttpError(404, 'expected …/encode or …/decode');

    if (req.method === 'OPTIONS') {
      if (!origin || !origins.has(origin)) {
        throw new HttpError(
          403,
          `origin ${origin ?? '(none)'} is not allowed; start the server with --cors-origin ${origin ?? '<origin>'}`,
        );
      }
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST') throw new HttpError(405, 'expected POST');
    if (opts.authToken !== undefined && !bearerMatches(req.headers.authorization, opts.authToken)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'missing or wrong Authorization: Bearer <token>');
    }
    let body: z.infer<typeof JsonPayloads>;
    try {
      body = JsonPayloads.parse(JSON.parse(await readBody(req)));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, `expected {"payloads": [{"metadata": {...}, "data": "<base64>"}]}`);
    }
    const payloads = fromJson(body);
    let result: Payload[];
    try {
      result = endpoint === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
    } catch (err) {
      // The codec's messages name key ids and settings, never key material or payload contents.
      throw new HttpError(422, (err as Error).message);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(toJson(result)));
  };

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: message }));
      // Drain what the client still sends, so an early answer (401, 413) does not reset the connection.
      req.resume();
    });
  });
}
