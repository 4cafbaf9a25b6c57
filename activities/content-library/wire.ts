/**
 * The two wire formats of the same Content Library calls, as data and two pure functions.
 * An operation is declared once ({@link Operation}, in the shape `/api` gives it); `/rest`
 * (vSphere 6.x, deprecated in 7.0 U2) differs by conventions this module applies to every call:
 *
 * | | `/api` (8.0.2 spec) | `/rest` (seeds) |
 * |---|---|---|
 * | id in the path | `/library/item/{id}` | `/library/item/id:{id}` |
 * | action | `?action=complete` | `?~action=complete` |
 * | request body | the spec itself | wrapped: `{"create_spec": ...}`, `{"file_spec": ...}` |
 * | client token | `?client_token=` and a `Client-Token` header | `client_token` in the body |
 * | answer | bare JSON (`"id"`, `{...}`), 201 on create, 204 on actions | `{"value": ...}`, 200 |
 * | error body | `{"error_type": "NOT_FOUND", "messages": [...]}` | `{"type": "com.vmware.vapi.std.errors.not_found", "value": {...}}` |
 *
 * The one irregularity is the file collections: `/api` nests them under their item or
 * session (`/update-session/{id}/file/{name}`), `/rest` makes them resources of their own
 * keyed by the parent's id and names a file in the body of a POST action. Operations on them
 * carry a `rest` override with exactly those fields. Error bodies of both shapes are read by
 * errors.ts `errorFromResponse`.
 */
import { ResponseValidationError } from './errors';

/** The wire format a connection speaks. */
export type ApiFlavor = 'api' | 'rest';
/** The configured choice: `auto` tries `POST /api/session` and falls back to `/rest` on 404. */
export type ApiFlavorSetting = ApiFlavor | 'auto';
export const API_FLAVOR_SETTINGS: readonly ApiFlavorSetting[] = ['auto', 'api', 'rest'];

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A resource as each flavour names it, relative to `/rest` and `/api`. */
export interface Resource {
  rest: string;
  api: string;
}

/** Resources of the 8.0.2 spec (`/api`) and the seeds (`/rest`, govmomi `vapi/internal/internal.go`). */
export const RESOURCE = {
  session: { rest: '/com/vmware/cis/session', api: '/session' },
  library: { rest: '/com/vmware/content/library', api: '/content/library' },
  localLibrary: { rest: '/com/vmware/content/local-library', api: '/content/local-library' },
  item: { rest: '/com/vmware/content/library/item', api: '/content/library/item' },
  updateSession: {
    rest: '/com/vmware/content/library/item/update-session',
    api: '/content/library/item/update-session',
  },
  downloadSession: {
    rest: '/com/vmware/content/library/item/download-session',
    api: '/content/library/item/download-session',
  },
} as const satisfies Record<string, Resource>;

/** `/rest`-only resources: the file collections `/api` nests under their parent. */
export const REST_RESOURCE = {
  itemFile: '/com/vmware/content/library/item/file',
  itemStorage: '/com/vmware/content/library/item/storage',
  updateSessionFile: '/com/vmware/content/library/item/updatesession/file',
  downloadSessionFile: '/com/vmware/content/library/item/downloadsession/file',
} as const;

/** Where a call goes: a resource, optionally one instance of it, optionally a nested path under it (`/api` only). */
export interface Target {
  resource: Resource;
  /** Rendered `/id:<id>` on `/rest`, `/<id>` on `/api`. */
  id?: string;
  /** Path segments after the id, `/api` only (`['file', name]`). */
  nested?: string[];
}

/** The fields in which a `/rest` call differs beyond the conventions (the file collections). */
export interface RestOverride {
  method?: Method;
  /** A `/rest`-only resource path, with the id rendered as `/id:<id>` when given. */
  path?: string;
  id?: string;
  action?: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
}

/** One operation, written once. */
export interface Operation {
  /** Client vocabulary, used in errors and logs (`completeUpdateSession`). */
  operation: string;
  method: Method;
  target: Target;
  /** `?action=` on `/api`, `?~action=` on `/rest`. */
  action?: string;
  query?: Record<string, string | undefined>;
  /** The request body as `/api` sends it (bare). */
  body?: unknown;
  /** `/rest` wraps the body in an object under this key (`create_spec`, `file_spec`, `update_spec`, `spec`). */
  restWrap?: string;
  /** Makes a create idempotent: `/api` query parameter and header, `/rest` body field. */
  clientToken?: string;
  /** Overrides for `/rest` where the two differ in more than the conventions. */
  rest?: RestOverride;
  /** The operation exists only in `/api` (vSphere 8's `update` of an update session): refused on `/rest`. */
  apiOnly?: boolean;
  /**
   * Whether to repeat the call after a 401 and a fresh login. Every call is, except creates
   * without a client token: those are the only ones whose double execution (if the 401 came
   * after the server acted, for example from a proxy) would silently duplicate state;
   * everything else is naturally idempotent or fails loudly when repeated.
   */
  replayOn401: boolean;
  /** Limit for headers and between body chunks, when shorter than the client's. */
  timeoutMs?: number;
}

/** An operation rendered for one flavour: what goes on the wire. */
export interface WireRequest {
  method: Method;
  /** Path and query, relative to the base URL's origin. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** `Client-Token` header: the later documentation's form of the 8.0.2 `client_token` query parameter; both are sent. */
export const CLIENT_TOKEN_HEADER = 'client-token';

/** An id as a path segment: escaped, except the colons of URN ids (`urn:vapi:...`), as vCenter writes them. */
function segment(id: string): string {
  return encodeURIComponent(id).replace(/%3A/gi, ':');
}

function queryString(
  action: string | undefined,
  query: Record<string, string | undefined>,
  flavor: ApiFlavor,
): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, v);
  // `~action` must stay literal: URLSearchParams would write %7Eaction.
  const parts: string[] = [];
  if (action) parts.push(`${flavor === 'rest' ? '~action' : 'action'}=${encodeURIComponent(action)}`);
  const q = params.toString();
  if (q) parts.push(q);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Renders `op` for `flavor` under `basePath` (the base URL's path, usually empty). */
export function renderRequest(flavor: ApiFlavor, basePath: string, op: Operation): WireRequest {
  const headers: Record<string, string> = { accept: 'application/json' };
  let method = op.method;
  let path: string;
  let action = op.action;
  let query: Record<string, string | undefined> = { ...op.query };
  let body: unknown = op.body;

  if (flavor === 'api') {
    const t = op.target;
    path = `/api${t.resource.api}${t.id !== undefined ? `/${segment(t.id)}` : ''}`;
    for (const s of t.nested ?? []) path += `/${segment(s)}`;
    if (op.clientToken !== undefined) {
      // 8.0.2 names a query parameter, later pages a header: a server reads the one it knows.
      query.client_token = op.clientToken;
      headers[CLIENT_TOKEN_HEADER] = op.clientToken;
    }
  } else {
    const o = op.rest ?? {};
    method = o.method ?? method;
    const id = 'id' in o ? o.id : op.target.id;
    path = `/rest${o.path ?? op.target.resource.rest}${id !== undefined ? `/id:${segment(id)}` : ''}`;
    if ('action' in o) action = o.action;
    if ('query' in o) query = { ...o.query };
    if ('body' in o) body = o.body;
    else if (body !== undefined && op.restWrap) body = { [op.restWrap]: body };
    if (op.clientToken !== undefined) {
      body = { client_token: op.clientToken, ...(body as Record<string, unknown> | undefined) };
    }
  }

  const out: WireRequest = {
    method,
    path: `${basePath}${path}${queryString(action, query, flavor)}`,
    headers,
  };
  if (body !== undefined) {
    out.body = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  return out;
}

/**
 * The answer of a 2xx response: `/rest`'s `{"value": ...}` unwrapped, `/api`'s bare JSON as is;
 * `undefined` for an empty body (201/204 without content, actions without a result).
 */
export function readAnswer(
  flavor: ApiFlavor,
  operation: string,
  res: { status: number; text: string; contentType?: string },
): unknown {
  if (res.text.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(res.text);
  } catch {
    throw new ResponseValidationError({
      operation,
      status: res.status,
      message: `${operation}: response is not JSON (content-type ${res.contentType ?? 'none'})`,
    });
  }
  if (flavor === 'api') return json;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ResponseValidationError({
      operation,
      status: res.status,
      message: `${operation}: response is not a {"value": ...} object`,
    });
  }
  return (json as { value?: unknown }).value;
}

/** A `create`: the spec as the body (`create_spec` on `/rest`); idempotent with a client token (then replayed after a 401). */
export function createOperation(
  operation: string,
  resource: Resource,
  spec: unknown,
  clientToken?: string,
): Operation {
  const op: Operation = {
    operation,
    method: 'POST',
    target: { resource },
    body: spec,
    restWrap: 'create_spec',
    replayOn401: clientToken !== undefined,
  };
  if (clientToken !== undefined) op.clientToken = clientToken;
  return op;
}

/** An action on one instance (`complete`, `cancel`, `fail`, `keep-alive`): same body in both flavours. */
export function actionOperation(
  operation: string,
  resource: Resource,
  id: string,
  action: string,
  body?: unknown,
): Operation {
  const op: Operation = { operation, method: 'POST', target: { resource, id }, action, replayOn401: true };
  if (body !== undefined) op.body = body;
  return op;
}
