/** Types shared by the server and the route files. */
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
}

/** One request as a handler sees it. */
export interface RequestContext {
  sim: SimContext;
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
 * A handler returns (or resolves to) `undefined` for an empty 200 (actions without a result), HANDLED
 * when it answered itself; anything else is sent as `{"value": ...}`.
 */
export type Handler = (ctx: RequestContext) => unknown;

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT' | 'HEAD';
  /** Anchored pattern on the raw path; capture groups become `params` (URI-decoded). */
  path: RegExp;
  /** The `~action` query value; null means none (or `create` for creates, as vcsim accepts). */
  action: string | null;
  op: OperationName;
  /** Login required (everything but login itself). @default true */
  auth?: boolean;
  handler: Handler;
}

const P = '/rest/com/vmware';
/** Builds an anchored path pattern; `{id}` matches an `id:<id>` segment, `{seg}` any segment. */
export function pathPattern(template: string): RegExp {
  const escaped = (P + template)
    .split(/(\{id\}|\{seg\})/)
    .map((part) =>
      part === '{id}'
        ? 'id(?::|%3[aA])([^/]+)'
        : part === '{seg}'
          ? '([^/]+)'
          : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${escaped}$`);
}
