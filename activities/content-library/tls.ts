/**
 * TLS for the Content Library client: full verification by default, extra CA
 * trust from a file, SHA-1 thumbprint pinning (the vSphere way, see
 * `TransferEndpoint.ssl_certificate_thumbprint`), or an explicit insecure skip.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates, TLSSocket } from 'node:tls';

import { Agent, buildConnector } from 'undici';

/** How the client verifies the server's certificate. */
export interface TlsOptions {
  /** PEM file of CA certificates to trust in addition to Node's bundled roots (for example vcsim's or vCenter's VMCA certificate). */
  caFile?: string;
  /** PEM text of CA certificates to trust in addition to Node's bundled roots. */
  ca?: string;
  /**
   * SHA-1 thumbprint of the server's certificate (`AA:BB:...` or plain hex, any
   * case). When set, the certificate is accepted only if it matches, and no
   * other validation (chain, host name, expiry) is performed, as the API defines.
   */
  thumbprint?: string;
  /** Accept any certificate. For throwaway test rigs only. @default false */
  insecure?: boolean;
}

/** Canonical form of a thumbprint: upper-case hex pairs joined by colons. Throws on anything that is not 20 bytes of hex. */
export function normalizeThumbprint(thumbprint: string): string {
  const hex = thumbprint.replace(/[:\s-]/g, '').toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(hex)) {
    throw new TypeError(
      `invalid SHA-1 thumbprint ${JSON.stringify(thumbprint)}: expected 20 hex bytes, as AA:BB:... or plain hex`,
    );
  }
  return hex.match(/../g)!.join(':');
}

/** SHA-1 thumbprint of a DER-encoded certificate, as `AA:BB:...` (the format vCenter and govc print). */
export function thumbprintOf(derCert: Uint8Array): string {
  return createHash('sha1').update(derCert).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** Raised by the pinned connector; `errorFromTransport` turns its code into a `TlsError`. */
export class ThumbprintMismatch extends Error {
  override name = 'ThumbprintMismatch';
  readonly code = 'ERR_TLS_THUMBPRINT_MISMATCH';
  constructor(
    readonly expected: string,
    readonly actual: string | undefined,
    host: string,
  ) {
    super(`certificate of ${host} has thumbprint ${actual ?? '(none presented)'}, expected ${expected}`);
  }
}

/** Trust store for `ca`/`caFile`: Node's roots plus the extra certificates, since setting `ca` alone would replace the roots. */
function trustStore(options: TlsOptions): string[] | undefined {
  const extra: string[] = [];
  if (options.caFile) extra.push(readFileSync(options.caFile, 'utf8'));
  if (options.ca) extra.push(options.ca);
  return extra.length > 0 ? [...rootCertificates, ...extra] : undefined;
}

/**
 * A connector that accepts the server only if its leaf certificate's SHA-1
 * matches `expected`. `rejectUnauthorized: false` is needed so that an
 * otherwise-untrusted (typically self-signed) certificate reaches our check; it
 * is safe only because the check below runs on every connection, after the
 * handshake and before any byte of the request is written. A
 * `checkServerIdentity` hook would not do: Node skips it when chain
 * verification already failed, and ignores its verdict when
 * `rejectUnauthorized` is false. TLS session resumption is off so every
 * connection presents its certificate afresh.
 */
export function pinnedConnector(
  thumbprint: string,
  base: buildConnector.BuildOptions = {},
): buildConnector.connector {
  const expected = normalizeThumbprint(thumbprint);
  const connect = buildConnector({ ...base, rejectUnauthorized: false, maxCachedSessions: 0 });
  return (options, callback) => {
    connect(options, (err, socket) => {
      if (err || !socket) {
        callback(err ?? new Error('connect failed'), null);
        return;
      }
      // Thumbprints only concern HTTPS; a plain-HTTP endpoint has nothing to pin.
      if (!(socket instanceof TLSSocket)) {
        callback(null, socket);
        return;
      }
      const raw = socket.getPeerCertificate(false)?.raw;
      const actual = raw && raw.length > 0 ? thumbprintOf(raw) : undefined;
      if (actual !== expected) {
        socket.destroy();
        callback(
          new ThumbprintMismatch(expected, actual, `${options.hostname}:${options.port || 443}`),
          null,
        );
        return;
      }
      callback(null, socket);
    });
  };
}

/** Connect options or connector for an undici `Agent` implementing {@link TlsOptions}. */
export function buildConnect(
  options: TlsOptions = {},
): buildConnector.BuildOptions | buildConnector.connector {
  if (options.thumbprint) return pinnedConnector(options.thumbprint);
  if (options.insecure) return { rejectUnauthorized: false };
  const ca = trustStore(options);
  return ca ? { ca, rejectUnauthorized: true } : { rejectUnauthorized: true };
}

/** Connections per origin of an {@link createAgent} agent unless told otherwise: the control-plane pool's size. */
export const DEFAULT_CONNECTIONS = 16;

/** Options for {@link createAgent} besides TLS. */
export interface AgentOptions {
  /** How long an idle keep-alive connection is kept. @default 30000 */
  keepAliveTimeoutMs?: number;
  /** Concurrent connections per origin. @default {@link DEFAULT_CONNECTIONS} */
  connections?: number;
}

/** One long-lived keep-alive `Agent` verifying servers per {@link TlsOptions}. */
export function createAgent(tls: TlsOptions = {}, options: AgentOptions = {}): Agent {
  return new Agent({
    connect: buildConnect(tls),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    connections: options.connections ?? DEFAULT_CONNECTIONS,
  });
}
