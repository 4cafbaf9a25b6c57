/** Types shared by the server and the route files. */
import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults } from './faults';
import type { OperationName } from './operations';
import type { Login, Store } from './state';
import type { Stats } from './stats';

/** Server-wide state and settings a handler may use. */
export interface SimContext {
  store: Store;
  faults: Faults;
  stats: Stats;
  /** Base URL clients reach this server at (scheme://host:port), used in transfer endpoints. */
  url: string;
  /** SHA-1 thumbprint of the TLS certificate ("AA:BB:..."), when serving HTTPS. */
  thumbprint?: string;
  datastoreId: string;
  username?: string;
  password?: string;
  prepareDelayMs: number;
  /** Certificates signed-package previews trust (no UNTRUSTED_CERTIFICATE for what they vouch for). */
  trustedCertificates: X509Certificate[];
}

/**
 * The two wire formats of the same operations: `/rest/com/vmware/...` as the 6.6.1 seeds document it,
 * and `/api/...` as the vSphere 8.0.2 specification does (api-8.0.2/content-library.json, session.json).
 */
export type Flavour = 'rest' | 'api';

/** One request as a handler sees it. */
export interface RequestContext {
  sim: SimContext;
  flavour: Flavour;
  req: IncomingMessage;
  res: ServerResponse;
  /** Decoded path captures (ids, transfer id, file name). */
  params: string[];
  query: URLSearchParams;
  login?: Login;
  body(): Promise<unknown>;
}

/** The handler wrote the response itself (transfers). */
export const HANDLED = Symbol('handled');

/**
 * A handler returns (or resolves to) `undefined` for an action without a result (an empty 200 on /rest,
 * a 204 on /api), HANDLED when it answered itself; anything else is the result (`{"value": ...}` on
 * /rest, the bare JSON on /api).
 */
export type Handler = (ctx: RequestContext) => unknown;

export interface Route {
  flavour: Flavour;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT' | 'HEAD';
  /** Anchored pattern on the raw path; capture groups become `params` (URI-decoded). */
  path: RegExp;
  /**
   * The `~action` (/rest) or `action` (/api) query value; null means none (on /rest also `create` for
   * creates, as vcsim accepts).
   */
  action: string | null;
  /** Matches only when this query parameter is present (/api tells `get` from `list` by it: `?file_name=`). */
  query?: string;
  /** /api creates answer 201 with the new identifier (content-library.json: `"201"` on every create). */
  created?: boolean;
  op: OperationName;
  /** Login required (everything but login itself). @default true */
  auth?: boolean;
  handler: Handler;
}

function pattern(prefix: string, idSegment: string, template: string): RegExp {
  const escaped = (prefix + template)
    .split(/(\{id\}|\{seg\})/)
    .map((part) =>
      part === '{id}'
        ? idSegment
        : part === '{seg}'
          ? '([^/]+)'
          : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${escaped}$`);
}

/** A /rest path pattern below `/rest/com/vmware`; `{id}` matches an `id:<id>` segment, `{seg}` any segment. */
export function pathPattern(template: string): RegExp {
  return pattern('/rest/com/vmware', 'id(?::|%3[aA])([^/]+)', template);
}

/** An /api path pattern below `/api`; ids are plain path segments (`/api/content/library/{library_id}`). */
export function apiPattern(template: string): RegExp {
  return pattern('/api', '([^/]+)', template);
}
