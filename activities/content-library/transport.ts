/**
 * The one transport under every resource module: the base URL and its agent, the session
 * (login with one transparent re-login, logout, a rotated password read again once), and
 * `call`, which renders an {@link Operation} in the connection's flavour (wire.ts), sends it,
 * maps a non-2xx answer to a typed error and parses the answer with its schema. The flavour
 * is fixed by configuration or, with `auto`, found by the first login and remembered.
 * It never retries beyond that single re-login (Temporal's retry policy is the one retry layer).
 */
import type { Dispatcher } from 'undici';
import type { z } from 'zod';

import {
  type ContentLibraryError,
  InvalidArgumentError,
  NotFoundError,
  ResponseValidationError,
  TransportError,
  UnauthenticatedError,
} from './errors';
import { errorFromResponse, errorFromTransport } from './error-mapping';
import { redact } from './redact';
import { parseResponse, SessionToken } from './schemas';
import { header, SESSION_HEADER } from './transfer';
import {
  type ApiFlavor,
  type ApiFlavorSetting,
  type Operation,
  readAnswer,
  renderRequest,
  RESOURCE,
  type WireRequest,
} from './wire';

/** Minimal structured logger (pino-compatible). Receives redacted objects only. */
export interface ContentLibraryLogger {
  debug(obj: object, msg?: string): void;
  /** Where tolerated surprises go (an enum value newer than this client). @default debug */
  warn?(obj: object, msg?: string): void;
}

/** Options of the transport (a subset of `ContentLibraryClientOptions`). */
export interface TransportOptions {
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
  /**
   * Wire format: `api` (vSphere 7.0 U2 and later, `/api/...`), `rest` (`/rest/com/vmware/...`,
   * deprecated since 7.0 U2), or `auto`: try `POST /api/session` and fall back to `/rest` on 404,
   * remembering the answer for the life of the client. @default 'auto'
   */
  apiFlavor?: ApiFlavorSetting;
  /** Where per-call debug lines go. @default none */
  logger?: ContentLibraryLogger;
  /** Limit for receiving headers and between body chunks of a control-plane call. @default 60000 */
  requestTimeoutMs?: number;
}

interface RawResponse {
  status: number;
  contentType?: string;
  text: string;
}

/** Session and calls of one client; the resource modules and transfers hold it. */
export class Transport {
  readonly base: URL;
  private readonly basePath: string;
  private readonly agent: Dispatcher;
  private readonly ownsAgent: boolean;
  private readonly username: string;
  private password: string;
  private readonly refreshPassword?: () => string | Promise<string>;
  readonly logger?: ContentLibraryLogger;
  readonly requestTimeoutMs: number;
  private readonly flavorSetting: ApiFlavorSetting;
  private resolvedFlavor?: ApiFlavor;
  private token?: string;
  private loggingIn?: Promise<string>;
  private closed = false;

  constructor(options: TransportOptions, agent: { dispatcher: Dispatcher; owned: boolean }) {
    this.base = new URL(options.url);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new TypeError(`Content Library URL must be http or https, got ${this.base.protocol}`);
    }
    this.basePath = this.base.pathname.replace(/\/+$/, '');
    this.username = options.username;
    this.password = options.password;
    if (options.refreshPassword) this.refreshPassword = options.refreshPassword;
    this.agent = agent.dispatcher;
    this.ownsAgent = agent.owned;
    if (options.logger) this.logger = options.logger;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.flavorSetting = options.apiFlavor ?? 'auto';
    if (this.flavorSetting !== 'auto') this.resolvedFlavor = this.flavorSetting;
  }

  /** Closes the agent if this transport created it; the session is not ended (see {@link logout}). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.ownsAgent) await this.agent.close();
  }

  /** The wire format in use; with `auto`, logs in first to find it. */
  async flavor(): Promise<ApiFlavor> {
    if (!this.resolvedFlavor) await this.session();
    return this.resolvedFlavor as ApiFlavor;
  }

  /** The flavour if already known (configured, or found by a login), without calling the server. */
  get knownFlavor(): ApiFlavor | undefined {
    return this.resolvedFlavor;
  }

  // ---------------------------------------------------------------- session

  /** Logs in (`POST /api/session` or `/rest/com/vmware/cis/session`, Basic auth) and keeps the token; concurrent callers share one login. */
  async login(): Promise<void> {
    this.token = undefined;
    await this.session();
  }

  /**
   * Ends the session on the server (`DELETE` of the session: "Terminates the validity of a
   * session token. This is the equivalent of log out.") if there is one; an already expired
   * session is not an error. `timeoutMs` bounds the call (a shutting-down worker should not
   * wait on a dead vCenter).
   */
  async logout(options: { timeoutMs?: number } = {}): Promise<void> {
    // A login still under way would otherwise leave its session behind on the server.
    if (this.loggingIn) await this.loggingIn.catch(() => undefined);
    const token = this.token;
    this.token = undefined;
    if (!token || !this.resolvedFlavor) return;
    const op: Operation = {
      operation: 'logout',
      method: 'DELETE',
      target: { resource: RESOURCE.session },
      replayOn401: false,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    };
    const res = await this.send(
      'logout',
      renderRequest(this.resolvedFlavor, this.basePath, op),
      token,
      op.timeoutMs,
    );
    if (res.status === 401) return;
    if (res.status < 200 || res.status >= 300) throw this.responseError('logout', res);
  }

  /** True while the client holds a session token (it may still have expired on the server). */
  get hasSession(): boolean {
    return this.token !== undefined;
  }

  /** The session token, logging in when there is none. */
  session(): Promise<string> {
    if (this.token) return Promise.resolve(this.token);
    if (!this.loggingIn) {
      this.loggingIn = this.doLogin().finally(() => {
        this.loggingIn = undefined;
      });
    }
    return this.loggingIn;
  }

  /** Forgets `token` unless a concurrent call already replaced it. */
  dropToken(token: string): void {
    if (this.token === token) this.token = undefined;
  }

  /** Exact strings to scrub from logs and messages. */
  secrets(): string[] {
    return this.token ? [this.token, this.password] : [this.password];
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
    const flavor = this.resolvedFlavor as ApiFlavor;
    if (res.status === 404 && flavor === 'api' && this.flavorSetting === 'api') {
      throw new NotFoundError({
        operation: 'login',
        status: 404,
        message:
          'login failed: this server has no /api/session (HTTP 404), so it speaks only the /rest API (vSphere before 7.0 U2, or vcsim); set apiFlavor to "rest" or "auto" for this vCenter',
      });
    }
    if (res.status < 200 || res.status >= 300) throw this.responseError('login', res);
    const token = parseResponse(SessionToken, readAnswer(flavor, 'login', res), 'login');
    this.token = token;
    return token;
  }

  /**
   * `POST` of the session: "Creates a session with the API. This is the equivalent of login."
   * With `auto` and no flavour known yet, `/api/session` first; a 404 there means a server
   * without `/api` (vSphere before 7.0 U2, vcsim), so `/rest` is asked and remembered.
   */
  private async createSession(password: string): Promise<RawResponse> {
    const basic = Buffer.from(`${this.username}:${password}`, 'utf8').toString('base64');
    // Header auth keeps the token out of cookies (govmomi does the same).
    const auth = { authorization: `Basic ${basic}`, 'vmware-use-header-authn': 'true' };
    const op: Operation = {
      operation: 'login',
      method: 'POST',
      target: { resource: RESOURCE.session },
      replayOn401: false,
    };
    const attempt = (flavor: ApiFlavor) => {
      const req = renderRequest(flavor, this.basePath, op);
      Object.assign(req.headers, auth);
      return this.send('login', req, undefined);
    };
    if (this.resolvedFlavor) return attempt(this.resolvedFlavor);
    const res = await attempt('api');
    this.resolvedFlavor = res.status === 404 ? 'rest' : 'api';
    this.logger?.debug(
      { operation: 'login', apiFlavor: this.resolvedFlavor, probeStatus: res.status },
      'content-library flavour',
    );
    return res.status === 404 ? attempt('rest') : res;
  }

  // ---------------------------------------------------------------- calls

  /** Calls `op` and parses its answer with `schema`. */
  async call<S extends z.ZodType>(op: Operation, schema: S): Promise<z.output<S>> {
    const { res, flavor } = await this.exchange(op);
    const value = readAnswer(flavor, op.operation, res);
    if (value === undefined || value === null) {
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      // vcsim answers a `get` of an unknown file name with 200 and no value
      // where vCenter sends InvalidArgument; say so plainly.
      throw new ResponseValidationError({
        operation: op.operation,
        status: res.status,
        message: `${op.operation}: server answered HTTP ${res.status} without a value`,
      });
    }
    return parseResponse(schema, value, op.operation, (field, raw) =>
      this.tolerated(op.operation, field, raw),
    );
  }

  /** Calls `op`, whose answer carries nothing (204 on `/api`, an empty 200 on `/rest`). */
  async callVoid(op: Operation): Promise<void> {
    await this.exchange(op);
  }

  private tolerated(operation: string, field: string, value: string): void {
    const line = { operation, field, value };
    const msg = 'content-library: enum value unknown to this client, kept as sent';
    if (this.logger?.warn) this.logger.warn(line, msg);
    else this.logger?.debug(line, msg);
  }

  /** Sends with the session token, re-logging in once on 401 when the call may be replayed. */
  private async exchange(op: Operation): Promise<{ res: RawResponse; flavor: ApiFlavor }> {
    const token = await this.session();
    const flavor = this.resolvedFlavor as ApiFlavor;
    if (op.apiOnly && flavor === 'rest') {
      throw new InvalidArgumentError({
        operation: op.operation,
        vapiType: 'UNSUPPORTED',
        message: `${op.operation} failed: the /rest API has no such operation (vSphere 8 added it to /api); this connection speaks /rest (apiFlavor "rest", or "auto" on a server without /api)`,
      });
    }
    const req = renderRequest(flavor, this.basePath, op);
    let res = await this.send(op.operation, req, token, op.timeoutMs);
    if (res.status === 401) {
      this.dropToken(token);
      if (!op.replayOn401) {
        // The next attempt logs in afresh, so a retry is worthwhile; the caller
        // decides whether repeating this create is safe.
        throw new UnauthenticatedError({
          operation: op.operation,
          status: 401,
          retryable: true,
          message: `${op.operation} failed: session expired (HTTP 401); not replayed because the call is not idempotent`,
        });
      }
      const fresh = await this.session();
      res = await this.send(op.operation, req, fresh, op.timeoutMs);
      if (res.status === 401) {
        this.dropToken(fresh);
        throw new UnauthenticatedError({
          operation: op.operation,
          status: 401,
          message: `${op.operation} failed: unauthenticated even after a fresh login (HTTP 401)`,
        });
      }
    }
    if (res.status < 200 || res.status >= 300) throw this.responseError(op.operation, res);
    return { res, flavor };
  }

  /** One HTTP exchange, body fully read (so the connection returns to the pool). Transport failures become typed errors. */
  private async send(
    operation: string,
    req: WireRequest,
    token: string | undefined,
    timeoutMs?: number,
  ): Promise<RawResponse> {
    const headers = token ? { ...req.headers, [SESSION_HEADER]: token } : req.headers;
    const started = Date.now();
    const line = { operation, method: req.method, path: req.path };
    try {
      const res = await this.agent.request({
        origin: this.base.origin,
        path: req.path,
        method: req.method,
        headers,
        body: req.body ?? null,
        headersTimeout: timeoutMs ?? this.requestTimeoutMs,
        bodyTimeout: timeoutMs ?? this.requestTimeoutMs,
      });
      const text = await res.body.text();
      this.logger?.debug(
        redact({ ...line, status: res.statusCode, durationMs: Date.now() - started }, this.secrets()),
        'content-library call',
      );
      const contentType = header(res.headers, 'content-type');
      return contentType === undefined
        ? { status: res.statusCode, text }
        : { status: res.statusCode, text, contentType };
    } catch (err) {
      const mapped = errorFromTransport(err, operation, this.secrets());
      this.logger?.debug(
        redact({ ...line, error: mapped.message, durationMs: Date.now() - started }, this.secrets()),
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
}
