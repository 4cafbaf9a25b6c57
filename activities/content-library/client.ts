/**
 * Typed client for the vSphere Content Library `/rest` API on undici: session
 * login with one transparent re-login, every response parsed by its schema,
 * streaming transfers to and from the endpoints that sessions hand out.
 * A plain vSphere client: it knows nothing of Temporal and never retries on its
 * own beyond that single re-login (Temporal's retry policy is the one retry layer).
 */
import type { Dispatcher } from 'undici';
import type { z } from 'zod';

import {
  type ContentLibraryError,
  errorFromResponse,
  errorFromTransport,
  ResponseValidationError,
  TransportError,
  UnauthenticatedError,
} from './errors';
import { redact } from './redact';
import {
  type AddSpec,
  DownloadSessionFileInfo,
  DownloadSessionModel,
  type EndpointType,
  Id,
  IdList,
  ItemFileInfo,
  ItemModel,
  LibraryModel,
  type LibraryType,
  listOf,
  parseResponse,
  SessionToken,
  StorageInfo,
  type TransferEndpoint,
  UpdateSessionFileInfo,
  UpdateSessionModel,
  ValidationResult,
} from './schemas';
import { createAgent, type TlsOptions } from './tls';
import {
  type DownloadOptions,
  type DownloadResult,
  header,
  isLoopback,
  SESSION_HEADER,
  Transfers,
  type UploadBody,
  type UploadOptions,
  type UploadResult,
} from './transfer';

export {
  SESSION_HEADER,
  type DownloadOptions,
  type DownloadResult,
  type UploadBody,
  type UploadOptions,
  type UploadResult,
} from './transfer';

/** REST paths (govmomi `vapi/internal/internal.go`), relative to `/rest`. */
const PATH = {
  session: '/com/vmware/cis/session',
  library: '/com/vmware/content/library',
  localLibrary: '/com/vmware/content/local-library',
  item: '/com/vmware/content/library/item',
  itemFile: '/com/vmware/content/library/item/file',
  itemStorage: '/com/vmware/content/library/item/storage',
  updateSession: '/com/vmware/content/library/item/update-session',
  updateSessionFile: '/com/vmware/content/library/item/updatesession/file',
  downloadSession: '/com/vmware/content/library/item/download-session',
  downloadSessionFile: '/com/vmware/content/library/item/downloadsession/file',
} as const;

/** Minimal structured logger (pino-compatible). Receives redacted objects only. */
export interface ContentLibraryLogger {
  debug(obj: object, msg?: string): void;
}

/** Options of {@link ContentLibraryClient}. */
export interface ContentLibraryClientOptions {
  /** vCenter (or vcsim) base URL, for example `https://vc.example.com`. */
  url: string;
  /** vCenter user name for session login. */
  username: string;
  /** vCenter password for session login. Never logged. */
  password: string;
  /**
   * Reads the password afresh (a rotated password file) when vCenter refuses a login with 401;
   * the login is retried once with the new value, before the refusal is reported. @default none
   */
  refreshPassword?: () => string | Promise<string>;
  /** Certificate verification for the API and for transfer endpoints without their own thumbprint. @default full verification against Node's roots */
  tls?: TlsOptions;
  /**
   * Dispatcher for control-plane calls (and, unless `transferAgent` is given, for transfers too)
   * instead of creating one; the caller owns it and `close()` leaves it open.
   */
  agent?: Dispatcher;
  /**
   * Dispatcher for transfers (the PUT and GET of file bytes) instead of creating one; the caller
   * owns it. @default `agent` when that is given, else a pool of its own ({@link TRANSFER_CONNECTIONS})
   */
  transferAgent?: Dispatcher;
  /** Where per-call debug lines go. @default none */
  logger?: ContentLibraryLogger;
  /** Limit for receiving headers and between body chunks of a control-plane call. @default 60000 */
  requestTimeoutMs?: number;
  /** A transfer fails when no byte moves for this long (and, for uploads, when the response takes this long after the last byte). @default 300000 */
  transferIdleTimeoutMs?: number;
  /**
   * Rewrite transfer URIs to the base URL's origin when the server names another
   * host (vcsim listening on 0.0.0.0 reports the machine's first non-loopback
   * address). @default true when the base URL's host is loopback, else false
   */
  rewriteTransferHost?: boolean;
  /**
   * Send every transfer (upload and download endpoints) to this origin, keeping the
   * path, whatever host the server names: for a vCenter behind a reverse proxy or NAT.
   * @default none
   */
  transferOrigin?: string;
}

/**
 * Connections per origin of the transfer pool. Transfers get a pool of their own so that a
 * control call (login, keep_alive, a list) never queues behind them: a full pool of stalled
 * multi-gigabyte PUTs would otherwise hold a saga's keep-alive until its session expired. A
 * worker process runs at most 16 transfer activities (two Workers of 8 slots), and a relay
 * between two items of one vCenter holds a GET and a PUT at once: 32 never makes a transfer
 * wait for another's connection.
 */
export const TRANSFER_CONNECTIONS = 32;

/** Spec of {@link ContentLibraryClient.createLibrary}: a local library on one datastore. */
export interface CreateLibrarySpec {
  /** Library name (unique per vCenter). */
  name: string;
  /** Datastore managed-object id (for example `datastore-59`) backing the library. */
  datastore_id: string;
  /** Free-text description. */
  description?: string;
}

/** Criteria of {@link ContentLibraryClient.findLibraries}; absent fields match all. */
export interface FindLibrarySpec {
  /** Library name (vCenter matches case-insensitively). */
  name?: string;
  /** LOCAL or SUBSCRIBED. */
  type?: LibraryType;
}

/** Spec of {@link ContentLibraryClient.createLibraryItem}. */
export interface CreateLibraryItemSpec {
  /** Library that will hold the item. */
  library_id: string;
  /** Item name (unique within the library). */
  name: string;
  /** Item type (`ovf`, `iso`, or empty for plain files). */
  type?: string;
  /** Free-text description. */
  description?: string;
}

/** Criteria of {@link ContentLibraryClient.findLibraryItems}; absent fields match all. */
export interface FindLibraryItemSpec {
  /** Restrict to one library. */
  library_id?: string;
  /** Exact item name. */
  name?: string;
  /** Item type. */
  type?: string;
}

/** Fields {@link ContentLibraryClient.updateLibraryItem} can change; absent fields stay. */
export interface UpdateLibraryItemSpec {
  /** New name. */
  name?: string;
  /** New description. */
  description?: string;
}

/** Spec of `createUpdateSession` / `createDownloadSession`. */
export interface SessionCreateSpec {
  /** Item the session is for. */
  library_item_id: string;
}

/** How one REST call is made. */
interface CallSpec {
  operation: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  action?: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /**
   * Whether to repeat the call after a 401 and a fresh login. Every call is,
   * except creates without a client token: those are the only ones whose
   * double execution (if the 401 came after the server acted, for example from
   * a proxy) would silently duplicate state; everything else is naturally
   * idempotent or fails loudly (NotAllowedInCurrentState) when repeated.
   */
  replayOn401: boolean;
  /** Limit for headers and between body chunks, when shorter than the client's. @default requestTimeoutMs */
  timeoutMs?: number;
}

interface RawResponse {
  status: number;
  contentType?: string;
  text: string;
}

/** Renders an id for the path as `id:<id>`, escaping all but the colons of URN ids. */
function idPath(base: string, id: string): string {
  return `${base}/id:${encodeURIComponent(id).replace(/%3A/gi, ':')}`;
}

/** Typed client of the Content Library API; one instance per vCenter and credential, long-lived. */
export class ContentLibraryClient {
  private readonly base: URL;
  private readonly basePath: string;
  private readonly agent: Dispatcher;
  private readonly ownsAgent: boolean;
  private readonly transferAgent: Dispatcher;
  private readonly ownsTransferAgent: boolean;
  private readonly transfers: Transfers;
  private readonly username: string;
  private password: string;
  private readonly refreshPassword?: () => string | Promise<string>;
  private readonly logger?: ContentLibraryLogger;
  private readonly requestTimeoutMs: number;
  private readonly transferIdleTimeoutMs: number;
  private readonly rewriteTransferHost: boolean;
  private readonly transferOrigin?: string;
  private token?: string;
  private loggingIn?: Promise<string>;
  private closed = false;

  constructor(options: ContentLibraryClientOptions) {
    this.base = new URL(options.url);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new TypeError(`Content Library URL must be http or https, got ${this.base.protocol}`);
    }
    this.basePath = this.base.pathname.replace(/\/+$/, '');
    this.username = options.username;
    this.password = options.password;
    if (options.refreshPassword) this.refreshPassword = options.refreshPassword;
    this.ownsAgent = options.agent === undefined;
    this.agent = options.agent ?? createAgent(options.tls);
    this.ownsTransferAgent = options.transferAgent === undefined && options.agent === undefined;
    this.transferAgent =
      options.transferAgent ??
      options.agent ??
      createAgent(options.tls, { connections: TRANSFER_CONNECTIONS });
    if (options.logger) this.logger = options.logger;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.transferIdleTimeoutMs = options.transferIdleTimeoutMs ?? 300_000;
    this.rewriteTransferHost = options.rewriteTransferHost ?? isLoopback(this.base.hostname);
    if (options.transferOrigin) this.transferOrigin = new URL(options.transferOrigin).origin;
    this.transfers = new Transfers(
      {
        session: () => this.session(),
        dropToken: (token) => this.dropToken(token),
        secrets: () => this.secrets(),
        logger: this.logger,
      },
      {
        base: this.base,
        transferAgent: this.transferAgent,
        requestTimeoutMs: this.requestTimeoutMs,
        transferIdleTimeoutMs: this.transferIdleTimeoutMs,
        rewriteTransferHost: this.rewriteTransferHost,
        ...(this.transferOrigin ? { transferOrigin: this.transferOrigin } : {}),
      },
    );
  }

  /** Closes the agents this client created (not an injected one). Does not log out: call {@link logout} first if the session should end. */
  async close(): Promise<void> {
    this.closed = true;
    const agents: Array<Promise<void>> = [this.transfers.close()];
    if (this.ownsAgent) agents.push(this.agent.close());
    if (this.ownsTransferAgent) agents.push(this.transferAgent.close());
    await Promise.all(agents);
  }

  // ---------------------------------------------------------------- session

  /** Logs in (`POST /rest/com/vmware/cis/session` with Basic auth) and keeps the token; concurrent callers share one login. */
  async login(): Promise<void> {
    this.token = undefined;
    await this.session();
  }

  /**
   * Ends the session on the server (`DELETE .../cis/session`: "Terminates the validity of a session
   * token. This is the equivalent of log out.") if there is one; an already expired session is not
   * an error. `timeoutMs` bounds the call (a worker shutting down should not wait on a dead vCenter).
   */
  async logout(options: { timeoutMs?: number } = {}): Promise<void> {
    // A login still under way would otherwise leave its session behind on the server.
    if (this.loggingIn) await this.loggingIn.catch(() => undefined);
    const token = this.token;
    this.token = undefined;
    if (!token) return;
    const res = await this.send(
      {
        operation: 'logout',
        method: 'DELETE',
        path: PATH.session,
        replayOn401: false,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      },
      token,
    );
    if (res.status === 401) return;
    if (res.status < 200 || res.status >= 300) throw this.responseError('logout', res);
  }

  /** True while the client holds a session token (it may still have expired on the server). */
  get hasSession(): boolean {
    return this.token !== undefined;
  }

  private session(): Promise<string> {
    if (this.token) return Promise.resolve(this.token);
    if (!this.loggingIn) {
      this.loggingIn = this.doLogin().finally(() => {
        this.loggingIn = undefined;
      });
    }
    return this.loggingIn;
  }

  private async doLogin(): Promise<string> {
    if (this.closed) {
      throw new TransportError({
        operation: 'login',
        message: 'login failed: client is closed',
        retryable: false,
      });
    }
    let res = await this.createSession(this.password);
    let note = '';
    if (res.status === 401 && this.refreshPassword) {
      // The password may have been rotated since it was read: read it again and retry once,
      // only with a different value, so a wrong password costs vCenter's lockout policy one
      // failed attempt per login, not two.
      let fresh: string | undefined;
      try {
        fresh = await this.refreshPassword();
      } catch (err) {
        note = `; re-reading the password failed: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (fresh && fresh !== this.password) {
        this.password = fresh;
        res = await this.createSession(fresh);
        note = ' (also with the password read again)';
      } else if (fresh !== undefined) {
        note = ' (the password read again is unchanged or empty)';
      }
    }
    if (res.status === 401) {
      throw new UnauthenticatedError({
        operation: 'login',
        status: 401,
        message: `login failed: vCenter refused the credentials of user ${JSON.stringify(this.username)} (HTTP 401)${note}; fix the password (or its file) in the vCenter's configuration`,
      });
    }
    if (res.status < 200 || res.status >= 300) throw this.responseError('login', res);
    const token = parseResponse(SessionToken, this.valueOf('login', res), 'login');
    this.token = token;
    return token;
  }

  /** `POST .../cis/session`: "Creates a session with the API. This is the equivalent of login." */
  private async createSession(password: string): Promise<RawResponse> {
    const basic = Buffer.from(`${this.username}:${password}`, 'utf8').toString('base64');
    return this.send(
      { operation: 'login', method: 'POST', path: PATH.session, replayOn401: false },
      undefined,
      // Header auth keeps the token out of cookies (govmomi does the same).
      { authorization: `Basic ${basic}`, 'vmware-use-header-authn': 'true' },
    );
  }

  /** Forgets `token` unless a concurrent call already replaced it. */
  private dropToken(token: string): void {
    if (this.token === token) this.token = undefined;
  }

  private secrets(): string[] {
    return this.token ? [this.token, this.password] : [this.password];
  }

  // ---------------------------------------------------------------- plumbing

  private url(spec: Pick<CallSpec, 'path' | 'action' | 'query'>): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) params.append(k, v);
    // `~action` must stay literal: URLSearchParams would write %7Eaction.
    const parts: string[] = [];
    if (spec.action) parts.push(`~action=${encodeURIComponent(spec.action)}`);
    const q = params.toString();
    if (q) parts.push(q);
    return `${this.basePath}/rest${spec.path}${parts.length ? `?${parts.join('&')}` : ''}`;
  }

  /** One HTTP exchange, body fully read (so the connection returns to the pool). Transport failures become typed errors. */
  private async send(
    spec: CallSpec,
    token: string | undefined,
    extraHeaders: Record<string, string> = {},
  ): Promise<RawResponse> {
    const path = this.url(spec);
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (token) headers[SESSION_HEADER] = token;
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    const started = Date.now();
    try {
      const res = await this.agent.request({
        origin: this.base.origin,
        path,
        method: spec.method,
        headers,
        body: body ?? null,
        headersTimeout: spec.timeoutMs ?? this.requestTimeoutMs,
        bodyTimeout: spec.timeoutMs ?? this.requestTimeoutMs,
      });
      const text = await res.body.text();
      this.logger?.debug(
        redact(
          {
            operation: spec.operation,
            method: spec.method,
            path,
            status: res.statusCode,
            durationMs: Date.now() - started,
          },
          this.secrets(),
        ),
        'content-library call',
      );
      const contentType = header(res.headers, 'content-type');
      return contentType === undefined
        ? { status: res.statusCode, text }
        : { status: res.statusCode, text, contentType };
    } catch (err) {
      const mapped = errorFromTransport(err, spec.operation, this.secrets());
      this.logger?.debug(
        redact(
          {
            operation: spec.operation,
            method: spec.method,
            path,
            error: mapped.message,
            durationMs: Date.now() - started,
          },
          this.secrets(),
        ),
        'content-library call failed',
      );
      throw mapped;
    }
  }

  private responseError(operation: string, res: RawResponse): ContentLibraryError {
    const r: Parameters<typeof errorFromResponse>[0] = {
      status: res.status,
      body: res.text,
      operation,
      secrets: this.secrets(),
    };
    if (res.contentType !== undefined) r.contentType = res.contentType;
    return errorFromResponse(r);
  }

  /** The `value` of a `{"value": ...}` body; `undefined` for an empty body (actions without result). */
  private valueOf(operation: string, res: RawResponse): unknown {
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
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new ResponseValidationError({
        operation,
        status: res.status,
        message: `${operation}: response is not a {"value": ...} object`,
      });
    }
    return (json as { value?: unknown }).value;
  }

  /** Sends with the session token, re-logging in once on 401 when the call may be replayed. */
  private async exchange(spec: CallSpec): Promise<RawResponse> {
    const token = await this.session();
    let res = await this.send(spec, token);
    if (res.status === 401) {
      this.dropToken(token);
      if (!spec.replayOn401) {
        // The next attempt logs in afresh, so a retry is worthwhile; the caller
        // decides whether repeating this create is safe.
        throw new UnauthenticatedError({
          operation: spec.operation,
          status: 401,
          retryable: true,
          message: `${spec.operation} failed: session expired (HTTP 401); not replayed because the call is not idempotent`,
        });
      }
      const fresh = await this.session();
      res = await this.send(spec, fresh);
      if (res.status === 401) {
        this.dropToken(fresh);
        throw new UnauthenticatedError({
          operation: spec.operation,
          status: 401,
          message: `${spec.operation} failed: unauthenticated even after a fresh login (HTTP 401)`,
        });
      }
    }
    if (res.status < 200 || res.status >= 300) throw this.responseError(spec.operation, res);
    return res;
  }

  private async call<S extends z.ZodType>(spec: CallSpec, schema: S): Promise<z.output<S>> {
    const res = await this.exchange(spec);
    const value = this.valueOf(spec.operation, res);
    if (value === undefined || value === null) {
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      // vcsim answers a `get` of an unknown file name with 200 and no value
      // where vCenter sends InvalidArgument; say so plainly.
      throw new ResponseValidationError({
        operation: spec.operation,
        status: res.status,
        message: `${spec.operation}: server answered HTTP ${res.status} without a value`,
      });
    }
    return parseResponse(schema, value, spec.operation);
  }

  private async callVoid(spec: CallSpec): Promise<void> {
    await this.exchange(spec);
  }

  // ---------------------------------------------------------------- libraries

  /** Creates a LOCAL library backed by one datastore; returns its id. A `clientToken` (UUID) makes the create idempotent. */
  createLibrary(spec: CreateLibrarySpec, clientToken?: string): Promise<string> {
    const create_spec: Record<string, unknown> = {
      name: spec.name,
      type: 'LOCAL',
      storage_backings: [{ type: 'DATASTORE', datastore_id: spec.datastore_id }],
    };
    if (spec.description !== undefined) create_spec.description = spec.description;
    return this.call(
      {
        operation: 'createLibrary',
        method: 'POST',
        path: PATH.localLibrary,
        body: clientToken ? { client_token: clientToken, create_spec } : { create_spec },
        replayOn401: clientToken !== undefined,
      },
      Id,
    );
  }

  /** Ids of all libraries. */
  listLibraries(): Promise<string[]> {
    return this.call(
      { operation: 'listLibraries', method: 'GET', path: PATH.library, replayOn401: true },
      IdList,
    );
  }

  /** One library. */
  getLibrary(libraryId: string): Promise<LibraryModel> {
    return this.call(
      { operation: 'getLibrary', method: 'GET', path: idPath(PATH.library, libraryId), replayOn401: true },
      LibraryModel,
    );
  }

  /** Ids of libraries matching `spec`. */
  findLibraries(spec: FindLibrarySpec): Promise<string[]> {
    return this.call(
      {
        operation: 'findLibraries',
        method: 'POST',
        path: PATH.library,
        action: 'find',
        body: { spec },
        replayOn401: true,
      },
      IdList,
    );
  }

  /** Deletes a LOCAL library and all its items. */
  deleteLibrary(libraryId: string): Promise<void> {
    return this.callVoid({
      operation: 'deleteLibrary',
      method: 'DELETE',
      path: idPath(PATH.localLibrary, libraryId),
      replayOn401: true,
    });
  }

  // ---------------------------------------------------------------- items

  /** Creates an empty library item; returns its id. A `clientToken` (UUID) makes the create idempotent. */
  createLibraryItem(spec: CreateLibraryItemSpec, clientToken?: string): Promise<string> {
    const create_spec = { ...spec };
    return this.call(
      {
        operation: 'createLibraryItem',
        method: 'POST',
        path: PATH.item,
        body: clientToken ? { client_token: clientToken, create_spec } : { create_spec },
        replayOn401: clientToken !== undefined,
      },
      Id,
    );
  }

  /** One library item. */
  getLibraryItem(itemId: string): Promise<ItemModel> {
    return this.call(
      { operation: 'getLibraryItem', method: 'GET', path: idPath(PATH.item, itemId), replayOn401: true },
      ItemModel,
    );
  }

  /** Ids of the items of one library. */
  listLibraryItems(libraryId: string): Promise<string[]> {
    return this.call(
      {
        operation: 'listLibraryItems',
        method: 'GET',
        path: PATH.item,
        query: { library_id: libraryId },
        replayOn401: true,
      },
      IdList,
    );
  }

  /** Ids of items matching `spec`. */
  findLibraryItems(spec: FindLibraryItemSpec): Promise<string[]> {
    return this.call(
      {
        operation: 'findLibraryItems',
        method: 'POST',
        path: PATH.item,
        action: 'find',
        body: { spec },
        replayOn401: true,
      },
      IdList,
    );
  }

  /** Changes an item's name or description. */
  updateLibraryItem(itemId: string, spec: UpdateLibraryItemSpec): Promise<void> {
    return this.callVoid({
      operation: 'updateLibraryItem',
      method: 'PATCH',
      path: idPath(PATH.item, itemId),
      body: { update_spec: spec },
      replayOn401: true,
    });
  }

  /** Deletes an item and its files. */
  deleteLibraryItem(itemId: string): Promise<void> {
    return this.callVoid({
      operation: 'deleteLibraryItem',
      method: 'DELETE',
      path: idPath(PATH.item, itemId),
      replayOn401: true,
    });
  }

  // ---------------------------------------------------------------- update sessions

  /** Opens an update session on an item; returns its id. Pass a stable `clientToken` (UUID) so a retried create returns the same session. */
  createUpdateSession(spec: SessionCreateSpec, clientToken?: string): Promise<string> {
    const create_spec = { library_item_id: spec.library_item_id };
    return this.call(
      {
        operation: 'createUpdateSession',
        method: 'POST',
        path: PATH.updateSession,
        body: clientToken ? { client_token: clientToken, create_spec } : { create_spec },
        replayOn401: clientToken !== undefined,
      },
      Id,
    );
  }

  /** One update session with its current state. */
  getUpdateSession(sessionId: string): Promise<UpdateSessionModel> {
    return this.call(
      {
        operation: 'getUpdateSession',
        method: 'GET',
        path: idPath(PATH.updateSession, sessionId),
        replayOn401: true,
      },
      UpdateSessionModel,
    );
  }

  /** Ids of the caller's update sessions, optionally of one item (vcsim ignores the filter). */
  listUpdateSessions(libraryItemId?: string): Promise<string[]> {
    return this.call(
      {
        operation: 'listUpdateSessions',
        method: 'GET',
        path: PATH.updateSession,
        query: { library_item_id: libraryItemId },
        replayOn401: true,
      },
      IdList,
    );
  }

  /** Extends an update session's lease; `clientProgress` (0–100) must exceed the last value sent. */
  keepAliveUpdateSession(sessionId: string, clientProgress?: number): Promise<void> {
    const spec: CallSpec = {
      operation: 'keepAliveUpdateSession',
      method: 'POST',
      path: idPath(PATH.updateSession, sessionId),
      action: 'keep-alive',
      replayOn401: true,
    };
    if (clientProgress !== undefined) spec.body = { client_progress: clientProgress };
    return this.callVoid(spec);
  }

  /** Completes an update session: its changes become visible (after any PULLs finish; poll for DONE). */
  completeUpdateSession(sessionId: string): Promise<void> {
    return this.sessionAction('completeUpdateSession', PATH.updateSession, sessionId, 'complete');
  }

  /** Cancels an update session, aborting transfers and discarding received content. */
  cancelUpdateSession(sessionId: string): Promise<void> {
    return this.sessionAction('cancelUpdateSession', PATH.updateSession, sessionId, 'cancel');
  }

  /** Ends an update session in ERROR with a client-side reason. */
  failUpdateSession(sessionId: string, clientErrorMessage: string): Promise<void> {
    return this.sessionAction('failUpdateSession', PATH.updateSession, sessionId, 'fail', {
      client_error_message: clientErrorMessage,
    });
  }

  /** Deletes an update session (refused while ACTIVE on a real vCenter). */
  deleteUpdateSession(sessionId: string): Promise<void> {
    return this.callVoid({
      operation: 'deleteUpdateSession',
      method: 'DELETE',
      path: idPath(PATH.updateSession, sessionId),
      replayOn401: true,
    });
  }

  private sessionAction(
    operation: string,
    base: string,
    sessionId: string,
    action: string,
    body?: unknown,
  ): Promise<void> {
    const spec: CallSpec = {
      operation,
      method: 'POST',
      path: idPath(base, sessionId),
      action,
      replayOn401: true,
    };
    if (body !== undefined) spec.body = body;
    return this.callVoid(spec);
  }

  // ---------------------------------------------------------------- update-session files

  /** Adds (or replaces) a file in an update session: PUSH returns an `upload_endpoint` to PUT to; PULL makes the server fetch `source_endpoint`. */
  addUpdateSessionFile(sessionId: string, fileSpec: AddSpec): Promise<UpdateSessionFileInfo> {
    return this.call(
      {
        operation: 'addUpdateSessionFile',
        method: 'POST',
        path: idPath(PATH.updateSessionFile, sessionId),
        action: 'add',
        body: { file_spec: fileSpec },
        replayOn401: true,
      },
      UpdateSessionFileInfo,
    );
  }

  /** One file of an update session with its transfer status. */
  getUpdateSessionFile(sessionId: string, fileName: string): Promise<UpdateSessionFileInfo> {
    return this.call(
      {
        operation: 'getUpdateSessionFile',
        method: 'POST',
        path: idPath(PATH.updateSessionFile, sessionId),
        action: 'get',
        body: { file_name: fileName },
        replayOn401: true,
      },
      UpdateSessionFileInfo,
    );
  }

  /** All files of an update session. */
  listUpdateSessionFiles(sessionId: string): Promise<UpdateSessionFileInfo[]> {
    return this.call(
      {
        operation: 'listUpdateSessionFiles',
        method: 'GET',
        path: PATH.updateSessionFile,
        query: { update_session_id: sessionId },
        replayOn401: true,
      },
      listOf(UpdateSessionFileInfo),
    );
  }

  /** Marks a file for removal when the session completes. Beware: vcsim deletes the whole session instead. */
  removeUpdateSessionFile(sessionId: string, fileName: string): Promise<void> {
    return this.callVoid({
      operation: 'removeUpdateSessionFile',
      method: 'POST',
      path: idPath(PATH.updateSessionFile, sessionId),
      action: 'remove',
      body: { file_name: fileName },
      replayOn401: true,
    });
  }

  /** Reports missing and invalid files before `completeUpdateSession`. */
  validateUpdateSessionFiles(sessionId: string): Promise<ValidationResult> {
    return this.call(
      {
        operation: 'validateUpdateSessionFiles',
        method: 'POST',
        path: idPath(PATH.updateSessionFile, sessionId),
        action: 'validate',
        replayOn401: true,
      },
      ValidationResult,
    );
  }

  // ---------------------------------------------------------------- download sessions

  /** Opens a download session on an item; returns its id. Pass a stable `clientToken` (UUID) so a retried create returns the same session. */
  createDownloadSession(spec: SessionCreateSpec, clientToken?: string): Promise<string> {
    const create_spec = { library_item_id: spec.library_item_id };
    return this.call(
      {
        operation: 'createDownloadSession',
        method: 'POST',
        path: PATH.downloadSession,
        body: clientToken ? { client_token: clientToken, create_spec } : { create_spec },
        replayOn401: clientToken !== undefined,
      },
      Id,
    );
  }

  /** One download session with its current state. */
  getDownloadSession(sessionId: string): Promise<DownloadSessionModel> {
    return this.call(
      {
        operation: 'getDownloadSession',
        method: 'GET',
        path: idPath(PATH.downloadSession, sessionId),
        replayOn401: true,
      },
      DownloadSessionModel,
    );
  }

  /** Ids of the caller's download sessions, optionally of one item (vcsim ignores the filter). */
  listDownloadSessions(libraryItemId?: string): Promise<string[]> {
    return this.call(
      {
        operation: 'listDownloadSessions',
        method: 'GET',
        path: PATH.downloadSession,
        query: { library_item_id: libraryItemId },
        replayOn401: true,
      },
      IdList,
    );
  }

  /** Extends a download session's lease; `progress` (0–100) must exceed the last value sent. */
  keepAliveDownloadSession(sessionId: string, progress?: number): Promise<void> {
    const spec: CallSpec = {
      operation: 'keepAliveDownloadSession',
      method: 'POST',
      path: idPath(PATH.downloadSession, sessionId),
      action: 'keep-alive',
      replayOn401: true,
    };
    if (progress !== undefined) spec.body = { progress };
    return this.callVoid(spec);
  }

  /** Cancels a download session, invalidating its download URLs. */
  cancelDownloadSession(sessionId: string): Promise<void> {
    return this.sessionAction('cancelDownloadSession', PATH.downloadSession, sessionId, 'cancel');
  }

  /** Ends a download session in ERROR with a client-side reason. */
  failDownloadSession(sessionId: string, clientErrorMessage: string): Promise<void> {
    return this.sessionAction('failDownloadSession', PATH.downloadSession, sessionId, 'fail', {
      client_error_message: clientErrorMessage,
    });
  }

  /** Deletes a download session. */
  deleteDownloadSession(sessionId: string): Promise<void> {
    return this.callVoid({
      operation: 'deleteDownloadSession',
      method: 'DELETE',
      path: idPath(PATH.downloadSession, sessionId),
      replayOn401: true,
    });
  }

  // ---------------------------------------------------------------- download-session files

  /** All files of the item behind a download session, with their prepare status. */
  listDownloadSessionFiles(sessionId: string): Promise<DownloadSessionFileInfo[]> {
    return this.call(
      {
        operation: 'listDownloadSessionFiles',
        method: 'GET',
        path: PATH.downloadSessionFile,
        query: { download_session_id: sessionId },
        replayOn401: true,
      },
      listOf(DownloadSessionFileInfo),
    );
  }

  /** One file of a download session; poll it until `status` is PREPARED. */
  getDownloadSessionFile(sessionId: string, fileName: string): Promise<DownloadSessionFileInfo> {
    return this.call(
      {
        operation: 'getDownloadSessionFile',
        method: 'POST',
        path: idPath(PATH.downloadSessionFile, sessionId),
        action: 'get',
        body: { file_name: fileName },
        replayOn401: true,
      },
      DownloadSessionFileInfo,
    );
  }

  /** Asks the server to prepare a file; its `download_endpoint` is valid once the status is PREPARED. */
  prepareDownloadSessionFile(
    sessionId: string,
    fileName: string,
    endpointType: EndpointType = 'HTTPS',
  ): Promise<DownloadSessionFileInfo> {
    return this.call(
      {
        operation: 'prepareDownloadSessionFile',
        method: 'POST',
        path: idPath(PATH.downloadSessionFile, sessionId),
        action: 'prepare',
        body: { file_name: fileName, endpoint_type: endpointType },
        replayOn401: true,
      },
      DownloadSessionFileInfo,
    );
  }

  // ---------------------------------------------------------------- item files and storage

  /** Files stored in an item. */
  listLibraryItemFiles(itemId: string): Promise<ItemFileInfo[]> {
    return this.call(
      {
        operation: 'listLibraryItemFiles',
        method: 'GET',
        path: PATH.itemFile,
        query: { library_item_id: itemId },
        replayOn401: true,
      },
      listOf(ItemFileInfo),
    );
  }

  /** One file of an item. */
  getLibraryItemFile(itemId: string, fileName: string): Promise<ItemFileInfo> {
    return this.call(
      {
        operation: 'getLibraryItemFile',
        method: 'POST',
        path: idPath(PATH.itemFile, itemId),
        action: 'get',
        body: { name: fileName },
        replayOn401: true,
      },
      ItemFileInfo,
    );
  }

  /** Where each file of an item is stored, per storage backing. */
  listLibraryItemStorage(itemId: string): Promise<StorageInfo[]> {
    return this.call(
      {
        operation: 'listLibraryItemStorage',
        method: 'GET',
        path: PATH.itemStorage,
        query: { library_item_id: itemId },
        replayOn401: true,
      },
      listOf(StorageInfo),
    );
  }

  /** Where one file of an item is stored (one entry per storage backing). */
  getLibraryItemStorage(itemId: string, fileName: string): Promise<StorageInfo[]> {
    return this.call(
      {
        operation: 'getLibraryItemStorage',
        method: 'POST',
        path: idPath(PATH.itemStorage, itemId),
        action: 'get',
        body: { file_name: fileName },
        replayOn401: true,
      },
      listOf(StorageInfo),
    );
  }

  // ---------------------------------------------------------------- transfers

  /** See {@link Transfers.rewriteTransferUri}. */
  rewriteTransferUri(uri: string): string {
    return this.transfers.rewriteTransferUri(uri);
  }

  /** See {@link Transfers.uploadToEndpoint}. */
  uploadToEndpoint(
    endpoint: string | TransferEndpoint,
    body: UploadBody,
    options: UploadOptions = {},
  ): Promise<UploadResult> {
    return this.transfers.uploadToEndpoint(endpoint, body, options);
  }

  /** See {@link Transfers.downloadFromEndpoint}. */
  downloadFromEndpoint(
    endpoint: string | TransferEndpoint,
    options: DownloadOptions = {},
  ): Promise<DownloadResult> {
    return this.transfers.downloadFromEndpoint(endpoint, options);
  }
}
