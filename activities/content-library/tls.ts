/**
 * TLS for the Content Library client: full verification by default, extra CA
 * trust from a file, pinning to a thumbprint (SHA-1, the vSphere way, see
 * `TransferEndpoint.ssl_certificate_thumbprint`, or SHA-256) or to a PEM
 * certificate, or an explicit insecure skip.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates, TLSSocket } from 'node:tls';

import { Agent, buildConnector } from 'undici';
import { CERTIFICATE_ERROR_CODES } from './error-mapping';

/** How the client verifies the server's certificate. */
export interface TlsOptions {
  /** PEM file of CA certificates to trust in addition to Node's bundled roots (for example vcsim's or vCenter's VMCA certificate). */
  caFile?: string;
  /** PEM text of CA certificates to trust in addition to Node's bundled roots. */
  ca?: string;
  /**
   * SHA-1 or SHA-256 thumbprint of the server's certificate (`AA:BB:...` or
   * plain hex, any case; the length says which). When set, the certificate is
   * accepted only if it matches, and no other validation (chain, host name,
   * expiry) is performed, as the API defines.
   */
  thumbprint?: string;
  /**
   * PEM file holding the server's own (leaf) certificate: accepted only if the
   * certificate presented is byte for byte this one, with no other validation,
   * like a thumbprint. For servers whose administrators hand out the certificate
   * rather than its thumbprint.
   */
  certificateFile?: string;
  /** PEM text of the server's own certificate; see {@link TlsOptions.certificateFile}. */
  certificate?: string;
  /** Accept any certificate. For throwaway test rigs only. @default false */
  insecure?: boolean;
  /**
   * What the user sets each option with (e.g. `CLO_VCENTER_LAB_THUMBPRINT`), so a refused
   * certificate's message names the setting to fix rather than only the mismatch.
   */
  settings?: TlsSettingNames;
}

/** The configuration names of the TLS options, for messages. */
export interface TlsSettingNames {
  thumbprint?: string;
  certificateFile?: string;
  caFile?: string;
}

/** What to change when the server's certificate is refused: the setting of the pin, or how to trust it. */
function fixFor(
  settings: TlsSettingNames | undefined,
  pinned: 'thumbprint' | 'certificate' | 'none',
): string {
  if (!settings) return '';
  if (pinned === 'thumbprint' && settings.thumbprint)
    return `; if the vCenter's certificate changed, check the new one out of band and set ${settings.thumbprint} to its thumbprint`;
  if (pinned === 'certificate' && settings.certificateFile)
    return `; set ${settings.certificateFile} to a PEM file of the vCenter's own certificate`;
  if (pinned === 'none' && (settings.caFile || settings.thumbprint))
    return `; trust the CA that signed it with ${settings.caFile ?? 'a CA file'}, or pin the certificate with ${settings.thumbprint ?? 'its thumbprint'}`;
  return '';
}

/** The two thumbprint forms accepted, for messages. */
export const THUMBPRINT_FORMS =
  'a SHA-1 thumbprint (40 hex digits) or a SHA-256 one (64 hex digits), plain or colon-separated (AA:BB:...)';

/**
 * Canonical form of a thumbprint: upper-case hex pairs joined by colons. Accepts 20 bytes
 * (SHA-1) or 32 bytes (SHA-256): the vSphere 8.0.2 spec still defines
 * `ssl_certificate_thumbprint` as "the SHA-1 hash of the DER encoding of the remote
 * endpoint's SSL certificate" (reference/api-8.0.2/content-library.json, TransferEndpoint),
 * while later releases describe SHA-256 thumbprints (reference/api-8.0.2/README.md), so
 * both must pin; the length says which. Throws a TypeError naming `field` (the setting or
 * wire field the value came from) and both accepted forms on anything else.
 */
export function normalizeThumbprint(thumbprint: string, field = 'thumbprint'): string {
  const hex = thumbprint.replace(/[:\s-]/g, '').toUpperCase();
  if (!/^(?:[0-9A-F]{40}|[0-9A-F]{64})$/.test(hex)) {
    const shown = thumbprint.length > 100 ? `${thumbprint.slice(0, 97)}...` : thumbprint;
    const why = /^[0-9A-F]*$/.test(hex) ? `${hex.length} hex digits` : 'not hex';
    throw new TypeError(`${field} ${JSON.stringify(shown)} (${why}) is not ${THUMBPRINT_FORMS}`);
  }
  return hex.match(/../g)!.join(':');
}

/**
 * Thumbprint of a DER-encoded certificate, as `AA:BB:...` (the format vCenter and govc print):
 * SHA-1 by default, as the API's `ssl_certificate_thumbprint`.
 */
export function thumbprintOf(derCert: Uint8Array, algorithm: 'sha1' | 'sha256' = 'sha1'): string {
  return createHash(algorithm).update(derCert).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** Raised by the pinned connector; `errorFromTransport` turns its code into a `TlsError`. */
export class ThumbprintMismatch extends Error {
  override name = 'ThumbprintMismatch';
  readonly code = 'ERR_TLS_THUMBPRINT_MISMATCH';
  constructor(
    readonly expected: string,
    readonly actual: string | undefined,
    host: string,
    /** What was pinned, when not the thumbprint itself (a certificate file). */
    pinned?: string,
  ) {
    super(
      pinned
        ? `certificate of ${host} (SHA-256 ${actual ?? '(none presented)'}) is not the pinned certificate ${pinned} (SHA-256 ${expected})`
        : `certificate of ${host} has thumbprint ${actual ?? '(none presented)'}, expected ${expected}`,
    );
  }
}

/** Trust store for `ca`/`caFile`: Node's roots plus the extra certificates, since setting `ca` alone would replace the roots. */
function trustStore(options: TlsOptions): string[] | undefined {
  const extra: string[] = [];
  if (options.caFile) extra.push(readFileSync(options.caFile, 'utf8'));
  if (options.ca) extra.push(options.ca);
  return extra.length > 0 ? [...rootCertificates, ...extra] : undefined;
}

/** What a pinned connector accepts: a thumbprint, or a certificate's DER bytes (compared as its SHA-256). */
export type Pin = string | { certificate: Uint8Array; source: string };

/** The DER bytes of the (first) certificate in a PEM text; a TypeError naming `source` otherwise. */
export function derOfPem(pem: string, source: string): Buffer {
  try {
    return new X509Certificate(pem).raw;
  } catch (err) {
    throw new TypeError(
      `${source}: not a PEM certificate (${(err as Error).message}); expected -----BEGIN CERTIFICATE----- ...`,
    );
  }
}

/** The wire fields of a `TransferEndpoint` that pin its certificate. */
export interface EndpointCertificateFields {
  ssl_certificate_thumbprint?: string | undefined;
  ssl_certificate?: string | undefined;
}

/** A pin and the key that identifies it (for sharing one pinned pool per certificate). */
export interface EndpointPin {
  key: string;
  pin: Pin;
}

/**
 * The pin a transfer endpoint asks for, if any. 8.0.2's `TransferEndpoint` says its
 * thumbprint "will not be checked ... if {TransferEndpoint#sslCertificate} is also set", so
 * a PEM `ssl_certificate` wins and the thumbprint is then ignored. A malformed value is a
 * TypeError naming the field.
 */
export function endpointPin(endpoint: EndpointCertificateFields): EndpointPin | undefined {
  if (endpoint.ssl_certificate) {
    const certificate = derOfPem(endpoint.ssl_certificate, "the transfer endpoint's ssl_certificate");
    return {
      key: `certificate ${thumbprintOf(certificate, 'sha256')}`,
      pin: { certificate, source: 'ssl_certificate of the transfer endpoint' },
    };
  }
  if (endpoint.ssl_certificate_thumbprint) {
    const thumbprint = normalizeThumbprint(endpoint.ssl_certificate_thumbprint, 'ssl_certificate_thumbprint');
    return { key: thumbprint, pin: thumbprint };
  }
  return undefined;
}

/**
 * The certificate fields of a PULL `source_endpoint` from what the caller gave: the thumbprint
 * as vCenter prints it (AA:BB:..., upper case), the PEM as is. Both go when both are given, as
 * govc sends the PEM `ssl_certificate` it probed (govmomi library_item_updatesession_file.go);
 * a server that knows `ssl_certificate` then ignores the thumbprint (8.0.2 TransferEndpoint).
 */
export function sourceEndpointCertificate(given: {
  sslCertificateThumbprint?: string | undefined;
  sslCertificate?: string | undefined;
}): EndpointCertificateFields {
  const thumbprint = given.sslCertificateThumbprint;
  return {
    ...(thumbprint ? { ssl_certificate_thumbprint: asPrinted(thumbprint) } : {}),
    ...(given.sslCertificate ? { ssl_certificate: given.sslCertificate } : {}),
  };
}

/**
 * The thumbprint as vCenter prints it; as given when it is not one. Inputs are validated since
 * this release, but a run planned before may carry any string: the vCenter judges it, as it
 * did then, rather than an activity retrying a TypeError.
 */
function asPrinted(thumbprint: string): string {
  try {
    return normalizeThumbprint(thumbprint, 'source.sslCertificateThumbprint');
  } catch {
    return thumbprint;
  }
}

/**
 * A connector that accepts the server only if its leaf certificate matches
 * `pin`: a thumbprint compared with the digest of its length, or a certificate
 * whose DER bytes must be the presented ones (compared through their SHA-256,
 * which names both in the error). `rejectUnauthorized: false` is needed so that
 * an otherwise-untrusted (typically self-signed) certificate reaches our check;
 * it is safe only because the check below runs on every connection, after the
 * handshake and before any byte of the request is written. A
 * `checkServerIdentity` hook would not do: Node skips it when chain
 * verification already failed, and ignores its verdict when
 * `rejectUnauthorized` is false. TLS session resumption is off so every
 * connection presents its certificate afresh. A plain-HTTP connection is
 * refused: it has no certificate, so letting it through would silently drop
 * the pin the user asked for.
 */
export function pinnedConnector(
  pin: Pin,
  base: buildConnector.BuildOptions = {},
  settings?: TlsSettingNames,
): buildConnector.connector {
  const byCertificate = typeof pin !== 'string';
  const expected = byCertificate ? thumbprintOf(pin.certificate, 'sha256') : normalizeThumbprint(pin);
  // SHA-1 thumbprints are 20 bytes (59 characters as AA:BB:...), SHA-256 ones 32.
  const algorithm = byCertificate || expected.length !== 59 ? 'sha256' : 'sha1';
  const connect = buildConnector({ ...base, rejectUnauthorized: false, maxCachedSessions: 0 });
  return (options, callback) => {
    connect(options, (err, socket) => {
      if (err || !socket) {
        callback(err ?? new Error('connect failed'), null);
        return;
      }
      const host = `${options.hostname}:${options.port || (socket instanceof TLSSocket ? 443 : 80)}`;
      if (!(socket instanceof TLSSocket)) {
        socket.destroy();
        const e = new ThumbprintMismatch(expected, undefined, host, byCertificate ? pin.source : undefined);
        e.message = `refusing plain HTTP to ${host}: a pinned certificate needs an https:// URL`;
        callback(e, null);
        return;
      }
      const raw = socket.getPeerCertificate(false)?.raw;
      const actual = raw && raw.length > 0 ? thumbprintOf(raw, algorithm) : undefined;
      if (actual !== expected) {
        socket.destroy();
        const e = new ThumbprintMismatch(expected, actual, host, byCertificate ? pin.source : undefined);
        e.message += fixFor(settings, byCertificate ? 'certificate' : 'thumbprint');
        callback(e, null);
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
  const settings = options.settings;
  if (options.thumbprint) return pinnedConnector(options.thumbprint, {}, settings);
  if (options.certificateFile) {
    const file = options.certificateFile;
    return pinnedConnector(
      { certificate: derOfPem(readFileSync(file, 'utf8'), file), source: file },
      {},
      settings,
    );
  }
  if (options.certificate) {
    return pinnedConnector(
      { certificate: derOfPem(options.certificate, 'certificate'), source: '(PEM)' },
      {},
      settings,
    );
  }
  if (options.insecure) return { rejectUnauthorized: false };
  const ca = trustStore(options);
  const verify = ca ? { ca, rejectUnauthorized: true } : { rejectUnauthorized: true };
  const fix = fixFor(settings, 'none');
  if (!fix) return verify;
  // Node's "self-signed certificate" says what is wrong, not which setting would make it right.
  const connect = buildConnector(verify);
  return (opts, callback) =>
    connect(opts, (err, socket) => {
      const code = (err as { code?: unknown } | null)?.code;
      if (err && typeof code === 'string' && CERTIFICATE_ERROR_CODES.has(code)) err.message += fix;
      if (err) callback(err, null);
      else callback(null, socket);
    });
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
