/**
 * Wire helpers shared by the route files: `{"value": ...}` bodies and empty 200s for actions without a
 * result on /rest (as vcsim answers them), bare bodies with 201/204 on /api, vAPI error bodies and
 * JSON request parsing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Flavour } from './context';
import type { VapiError } from './errors';
import { fail } from './errors';

const MAX_JSON_BODY = 1 << 20;

/** Sends `{"value": value}` with status 200. */
export function sendValue(res: ServerResponse, value: unknown): void {
  sendJson(res, 200, { value });
}

/** Sends an empty 200, which is how /rest answers actions that return nothing. */
export function sendEmpty(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Length': '0' });
  res.end();
}

/** Sends a JSON body with the given status. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Sends a handler's result in the flavour's format. /rest: `{"value": ...}` 200, or an empty 200.
 * /api (api-8.0.2): the bare result, 201 for creates ("201": "Identifier of the new ..."), 204 with no
 * body for operations without a result ("204": "").
 */
export function sendResult(res: ServerResponse, flavour: Flavour, result: unknown, created = false): void {
  if (flavour === 'rest') {
    if (result === undefined) sendEmpty(res);
    else sendValue(res, result);
    return;
  }
  if (result === undefined) {
    res.writeHead(204);
    res.end();
    return;
  }
  sendJson(res, created ? 201 : 200, result);
}

/** Sends a vAPI error body with its HTTP status (no-op if headers already went out). */
export function sendError(
  res: ServerResponse,
  err: VapiError,
  extraHeaders: Record<string, string> = {},
  flavour: Flavour = 'rest',
): void {
  if (res.headersSent || res.destroyed) return;
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  sendJson(res, err.status(flavour), err.body(flavour));
}

/** Reads a JSON request body (empty body -> {}); malformed JSON is invalid_argument. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) fail('invalid_argument', 'GENERAL', 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fail('invalid_argument', 'GENERAL', 'request body is not valid JSON');
  }
}

/** Parses `input` with `schema`; a mismatch is invalid_argument with zod's readable message. */
export function parseBody<T extends z.ZodType>(
  schema: T,
  input: unknown,
  rule: Parameters<typeof fail>[1] = 'GENERAL',
): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) fail('invalid_argument', rule, z.prettifyError(result.error));
  return result.data;
}

/** ISO-8601 with milliseconds and Z, as vCenter formats datetimes. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for the 8-4-4-4-12 hex form the docs show ("b8a2a2e3-2314-43cd-a871-6ede0f429751"). */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
