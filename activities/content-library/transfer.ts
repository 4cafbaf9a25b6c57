/**
 * Transfers: the PUT and GET of file bytes at the endpoints that update and download
 * sessions hand out. Not part of the `/rest` or `/api` wire format (both flavours name the
 * same transfer URIs and take the same session header), so it sits beside the transport
 * rather than in it. {@link ContentLibraryClient} keeps `uploadToEndpoint`,
 * `downloadFromEndpoint` and `rewriteTransferUri` as its own methods, delegating here.
 */
import type { Readable } from 'node:stream';

import { Agent, type Dispatcher } from 'undici';

import { InvalidArgumentError, ResponseValidationError, UnauthenticatedError } from './errors';
import { errorFromResponse, errorFromTransport } from './error-mapping';
import { redact } from './redact';
import type { TransferEndpoint } from './schemas';
import { endpointPin, pinnedConnector, type EndpointPin } from './tls';

/** Header that carries the vCenter session token, on API calls and transfers alike. */
export const SESSION_HEADER = 'vmware-api-session-id';

/** What transfers need of the client's session: the token, dropping a refused one, the secrets to redact, the logger. */
export interface TransferHost {
  session(): Promise<string>;
  dropToken(token: string): void;
  secrets(): string[];
  readonly logger?: { debug(obj: object, msg?: string): void } | undefined;
}

/** Settings of {@link Transfers}, resolved by the client from its options. */
export interface TransferSettings {
  /** The API base URL (transfer URIs naming another host of it are rewritten to it). */
  base: URL;
  /** Pool for transfers without a thumbprint of their own. */
  transferAgent: Dispatcher;
  requestTimeoutMs: number;
  transferIdleTimeoutMs: number;
  rewriteTransferHost: boolean;
  transferOrigin?: string;
}

/**
 * Body of an upload: a Node stream or any async iterable of bytes; never buffered whole.
 * An iterable may reuse a chunk's memory once the next one is asked for (as readRange does):
 * the client is done with each chunk, written to the socket and drained, before it asks.
 */
export type UploadBody = Readable | AsyncIterable<Uint8Array>;

/** Options of {@link Transfers.uploadToEndpoint}. */
export interface UploadOptions {
  /** Exact byte count; sent as `content-length` (else the body is chunked). */
  size?: number;
  /** Aborts the transfer; the signal's reason is rethrown as is. */
  signal?: AbortSignal;
  /** Called with the running total of bytes handed to the socket. */
  onProgress?(bytes: number): void;
}

/** Result of an upload. */
export interface UploadResult {
  /** HTTP status of the PUT. */
  status: number;
  /** Bytes sent. */
  bytes: number;
}

/** Options of {@link Transfers.downloadFromEndpoint}. */
export interface DownloadOptions {
  /** Byte range to ask for (`end` inclusive, open-ended when absent). */
  range?: { start: number; end?: number };
  /** Aborts the transfer; the signal's reason is rethrown as is. */
  signal?: AbortSignal;
}

/** A download in flight: the caller must consume or destroy `body`. */
export interface DownloadResult {
  /** 200 or 206. */
  status: number;
  /** Response body stream. */
  body: Readable;
  /** Response headers. */
  headers: Record<string, string | string[] | undefined>;
  /** Bytes in `body`, when the server said. */
  contentLength?: number;
  /**
   * True when `body` starts at the requested `range.start` (a 206 with a
   * matching Content-Range, or no range asked). False means the server sent the
   * whole file from byte 0 (vcsim ignores Range): skip or restart.
   */
  rangeHonoured: boolean;
}

function effectivePort(u: URL): string {
  return u.port || (u.protocol === 'https:' ? '443' : '80');
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Parses `bytes start-end/total`. */
function parseContentRange(v: string | undefined): { start: number; end: number } | undefined {
  const m = v ? /^bytes\s+(\d+)-(\d+)\/(?:\d+|\*)$/i.exec(v.trim()) : null;
  return m ? { start: Number(m[1]), end: Number(m[2]) } : undefined;
}

/** Streaming transfers to and from session endpoints; one per client. */
export class Transfers {
  private readonly pinnedAgents = new Map<string, Agent>();
  private readonly base: URL;
  private readonly transferAgent: Dispatcher;
  private readonly requestTimeoutMs: number;
  private readonly transferIdleTimeoutMs: number;
  private readonly rewriteTransferHost: boolean;
  private readonly transferOrigin?: string;

  constructor(
    private readonly host: TransferHost,
    settings: TransferSettings,
  ) {
    this.base = settings.base;
    this.transferAgent = settings.transferAgent;
    this.requestTimeoutMs = settings.requestTimeoutMs;
    this.transferIdleTimeoutMs = settings.transferIdleTimeoutMs;
    this.rewriteTransferHost = settings.rewriteTransferHost;
    if (settings.transferOrigin) this.transferOrigin = settings.transferOrigin;
  }

  /** Closes the pinned agents (the transfer pool belongs to the client). */
  async close(): Promise<void> {
    const agents = [...this.pinnedAgents.values()].map((a) => a.close());
    this.pinnedAgents.clear();
    await Promise.all(agents);
  }

  /**
   * The URI to actually use for a transfer endpoint. With rewriting on, a URI
   * that names the API server under another host name (same scheme and port,
   * different host: vcsim on 0.0.0.0 announces the machine's first non-loopback
   * address) is pointed at the base URL's host; the path, which carries the
   * transfer id, stays. A different port means a different server, left alone.
   */
  rewriteTransferUri(uri: string): string {
    const u = new URL(uri);
    if (this.transferOrigin) {
      // An explicit origin wins: vCenter behind a proxy or NAT names hosts the worker cannot reach.
      const to = new URL(this.transferOrigin);
      u.protocol = to.protocol;
      u.host = to.host;
      return u.toString();
    }
    if (!this.rewriteTransferHost) return uri;
    if (u.protocol !== this.base.protocol) return uri;
    if (u.hostname === this.base.hostname) return uri;
    if (effectivePort(u) !== effectivePort(this.base)) return uri;
    u.host = this.base.host;
    return u.toString();
  }

  /** Dispatcher for an endpoint: the transfer pool, or a pinned one (per certificate) when the endpoint names one (pinning replaces other validation, as the API defines). */
  dispatcherFor(pin: EndpointPin | undefined): Dispatcher {
    if (!pin) return this.transferAgent;
    let agent = this.pinnedAgents.get(pin.key);
    if (!agent) {
      agent = new Agent({ connect: pinnedConnector(pin.pin), keepAliveTimeout: 30_000 });
      this.pinnedAgents.set(pin.key, agent);
    }
    return agent;
  }

  endpointOf(endpoint: string | TransferEndpoint, operation: string): { url: URL; pin?: EndpointPin } {
    const raw = typeof endpoint === 'string' ? { uri: endpoint } : endpoint;
    let url: URL;
    try {
      url = new URL(this.rewriteTransferUri(raw.uri));
    } catch (err) {
      throw new InvalidArgumentError({
        operation,
        message: `${operation} failed: invalid transfer URI`,
        cause: err,
      });
    }
    // DIRECT endpoints (file://, ds://) are for storage-level access, not HTTP.
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidArgumentError({
        operation,
        message: `${operation} failed: transfer endpoint scheme ${url.protocol} is not supported (only http and https)`,
      });
    }
    // A PEM ssl_certificate wins over the thumbprint (tls.ts endpointPin); a malformed one names its field.
    let pin: EndpointPin | undefined;
    try {
      pin = endpointPin(raw);
    } catch (err) {
      throw new InvalidArgumentError({
        operation,
        message: `${operation} failed: ${(err as Error).message}`,
        cause: err,
      });
    }
    return pin ? { url, pin } : { url };
  }

  /**
   * Streams `body` to an upload endpoint with one PUT, never buffering the file.
   * Sends the session header and `content-length` when `size` is known; honours
   * the endpoint's certificate thumbprint. Not replayed on 401 (the stream is
   * spent); the UnauthenticatedError is retryable because the next attempt logs in afresh.
   */
  async uploadToEndpoint(
    endpoint: string | TransferEndpoint,
    body: UploadBody,
    options: UploadOptions = {},
  ): Promise<UploadResult> {
    const operation = 'uploadToEndpoint';
    const { url, pin } = this.endpointOf(endpoint, operation);
    const dispatcher = this.dispatcherFor(pin);
    const token = await this.host.session();
    const idleMs = this.transferIdleTimeoutMs;

    // Our own idle watchdog: undici's headersTimeout only refreshes on
    // back-pressure, so a slow source would trip it mid-upload.
    const watchdog = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const e = Object.assign(new Error(`no upload progress for ${idleMs} ms`), {
          code: 'ERR_TRANSFER_IDLE_TIMEOUT',
        });
        watchdog.abort(e);
      }, idleMs);
      timer.unref?.();
    };
    const signal = options.signal ? AbortSignal.any([options.signal, watchdog.signal]) : watchdog.signal;

    let bytes = 0;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        bytes += buf.byteLength;
        arm();
        options.onProgress?.(bytes);
        yield buf;
      }
      // Now waiting for the server's answer; the same limit applies.
      arm();
    }

    const headers: Record<string, string> = {
      [SESSION_HEADER]: token,
      'content-type': 'application/octet-stream',
    };
    if (options.size !== undefined) headers['content-length'] = String(options.size);

    const started = Date.now();
    arm();
    try {
      const res = await dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'PUT',
        headers,
        // An async iterable, not a stream: undici then writes each chunk and waits for the
        // socket to drain before pulling the next, which is what lets a source reuse buffers
        // (see UploadBody); a Readable would read ahead while the last chunk is still queued.
        // undici documents AsyncIterable bodies; its typings only lag behind.
        body: counted() as unknown as Readable,
        signal,
        headersTimeout: 0,
        bodyTimeout: this.requestTimeoutMs,
      });
      const text = await res.body.text();
      this.host.logger?.debug(
        redact(
          { operation, path: url.pathname, status: res.statusCode, bytes, durationMs: Date.now() - started },
          this.host.secrets(),
        ),
        'content-library transfer',
      );
      if (res.statusCode === 401) {
        this.host.dropToken(token);
        throw new UnauthenticatedError({
          operation,
          status: 401,
          retryable: true,
          message: `${operation} failed: session expired (HTTP 401); the upload must be restarted`,
        });
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const contentType = header(res.headers, 'content-type');
        throw errorFromResponse({
          status: res.statusCode,
          body: text,
          operation,
          secrets: this.host.secrets(),
          ...(contentType ? { contentType } : {}),
        });
      }
      return { status: res.statusCode, bytes };
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (watchdog.signal.aborted)
        throw errorFromTransport(watchdog.signal.reason, operation, this.host.secrets());
      throw errorFromTransport(err, operation, this.host.secrets());
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts a streaming GET of a download endpoint, optionally of a byte range;
   * the caller consumes `body`. Sends the session header, honours the
   * endpoint's thumbprint, and re-logs in once on 401 (nothing was streamed yet).
   * Check `rangeHonoured`: vcsim ignores Range and always sends the whole file.
   */
  async downloadFromEndpoint(
    endpoint: string | TransferEndpoint,
    options: DownloadOptions = {},
  ): Promise<DownloadResult> {
    const operation = 'downloadFromEndpoint';
    const { url, pin } = this.endpointOf(endpoint, operation);
    const dispatcher = this.dispatcherFor(pin);
    const range = options.range;
    const wantsRange = range !== undefined && (range.start > 0 || range.end !== undefined);

    const attempt = async (token: string) => {
      const headers: Record<string, string> = { [SESSION_HEADER]: token };
      if (wantsRange) headers.range = `bytes=${range.start}-${range.end ?? ''}`;
      return dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers,
        signal: options.signal ?? null,
        headersTimeout: this.requestTimeoutMs,
        bodyTimeout: this.transferIdleTimeoutMs,
      });
    };

    try {
      let token = await this.host.session();
      let res = await attempt(token);
      if (res.statusCode === 401) {
        await res.body.dump();
        this.host.dropToken(token);
        token = await this.host.session();
        res = await attempt(token);
        if (res.statusCode === 401) {
          await res.body.dump();
          this.host.dropToken(token);
          throw new UnauthenticatedError({
            operation,
            status: 401,
            message: `${operation} failed: unauthenticated even after a fresh login (HTTP 401)`,
          });
        }
      }
      if (res.statusCode !== 200 && res.statusCode !== 206) {
        const text = await res.body.text();
        const contentType = header(res.headers, 'content-type');
        throw errorFromResponse({
          status: res.statusCode,
          body: text,
          operation,
          secrets: this.host.secrets(),
          ...(contentType ? { contentType } : {}),
        });
      }
      let rangeHonoured = !wantsRange;
      if (wantsRange && res.statusCode === 206) {
        const cr = parseContentRange(header(res.headers, 'content-range'));
        rangeHonoured = cr !== undefined && cr.start === range.start;
        if (!rangeHonoured) {
          await res.body.dump();
          throw new ResponseValidationError({
            operation,
            status: 206,
            message: `${operation}: asked for bytes from ${range.start}, server sent Content-Range ${JSON.stringify(header(res.headers, 'content-range') ?? null)}`,
          });
        }
      }
      const lengthHeader = header(res.headers, 'content-length');
      const contentLength =
        lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
      this.host.logger?.debug(
        redact(
          { operation, path: url.pathname, status: res.statusCode, range: headerRange(range), contentLength },
          this.host.secrets(),
        ),
        'content-library transfer',
      );
      const result: DownloadResult = {
        status: res.statusCode,
        body: res.body,
        headers: res.headers,
        rangeHonoured,
      };
      if (contentLength !== undefined) result.contentLength = contentLength;
      return result;
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw errorFromTransport(err, operation, this.host.secrets());
    }
  }
}

function headerRange(range: DownloadOptions['range']): string | undefined {
  return range ? `${range.start}-${range.end ?? ''}` : undefined;
}
