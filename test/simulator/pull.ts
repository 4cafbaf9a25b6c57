/**
 * PULL: the server fetches a file's source_endpoint itself (http, https or file URI) into a temp
 * file, through the same Meter as a PUSH body.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import { Meter } from './receive';
import type { Digests } from './receive';
import type { ChecksumAlgorithm, TransferEndpoint } from './state';

export interface PullOptions {
  source: TransferEndpoint;
  dest: string;
  algorithm?: ChecksumAlgorithm;
  onBytes: (n: number) => void;
}

export interface PullResult {
  size: number;
  digests: Digests;
}

export interface PullHandle {
  done: Promise<PullResult>;
  abort(): void;
}

const normalizeThumbprint = (t: string): string => t.replace(/[^0-9a-f]/gi, '').toUpperCase();

/**
 * PULL_THUMBPRINT: what the peer's certificate must be, or undefined for standard validation.
 * `ssl_certificate` (PEM) wins ("The specified sslCertificateThumbprint will not be checked ... if
 * {TransferEndpoint#sslCertificate} is also set", api-8.0.2 TransferEndpoint); a thumbprint of 64 hex
 * digits is a SHA-256 one (later releases), else SHA-1.
 */
function pinOf(
  source: TransferEndpoint,
):
  | ((peer: { raw?: Buffer; fingerprint?: string; fingerprint256?: string }) => string | undefined)
  | undefined {
  if (source.ssl_certificate) {
    const expected = new X509Certificate(source.ssl_certificate).raw;
    return (peer) =>
      peer.raw && peer.raw.equals(expected) ? undefined : 'certificate differs from ssl_certificate';
  }
  const thumbprint = source.ssl_certificate_thumbprint;
  if (!thumbprint) return undefined;
  const want = normalizeThumbprint(thumbprint);
  return (peer) => {
    const got = want.length === 64 ? peer.fingerprint256 : peer.fingerprint;
    return got && normalizeThumbprint(got) === want
      ? undefined
      : `certificate thumbprint mismatch: expected ${thumbprint}, got ${got ?? 'none'}`;
  };
}

/**
 * PULL_THUMBPRINT (001): "If set, the remote endpoint’s SSL certificate is only accepted if it matches
 * this thumbprint, and no other certificate validation is performed. If not specified, standard
 * certificate validation is performed."
 */
function openHttp(source: TransferEndpoint, signal: AbortSignal, redirects = 0): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const url = new URL(source.uri);
    const pin = url.protocol === 'https:' ? pinOf(source) : undefined;
    const options: https.RequestOptions = {
      method: 'GET',
      signal,
      agent: false,
      headers: { 'accept-encoding': 'identity' },
    };
    if (pin) options.rejectUnauthorized = false;
    const request = (url.protocol === 'https:' ? https : http).request(url, options, (res) => {
      if (pin) {
        const mismatch = pin((res.socket as TLSSocket).getPeerCertificate());
        if (mismatch !== undefined) {
          res.destroy();
          reject(new Error(`${mismatch} (${url.host})`));
          return;
        }
      }
      const status = res.statusCode ?? 0;
      // Redirects are followed, as HTTP clients commonly do (a download link redirecting to a
      // presigned object-store URL), and an error names the URL fetched last: the echo path
      // through which a secret the caller never gave can reach a PullFailed message.
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location && redirects < 5) {
        res.resume();
        const next = { ...source, uri: new URL(location, url).href };
        openHttp(next, signal, redirects + 1).then(resolve, reject);
        return;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        reject(new Error(`source ${source.uri} answered HTTP ${status}`));
        return;
      }
      resolve(res);
    });
    request.on('error', reject);
    request.end();
  });
}

function openFile(uri: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const stream = fs.createReadStream(fileURLToPath(uri));
    stream.once('open', () => resolve(stream));
    stream.once('error', reject);
  });
}

/** Starts fetching; `done` settles when the source is fully written to `dest` (or fails). */
export function startPull(opts: PullOptions): PullHandle {
  const controller = new AbortController();
  const meter = new Meter({ algorithm: opts.algorithm, onBytes: opts.onBytes });
  const done = (async (): Promise<PullResult> => {
    const scheme = new URL(opts.source.uri).protocol;
    const source =
      scheme === 'file:' ? await openFile(opts.source.uri) : await openHttp(opts.source, controller.signal);
    await pipeline(source, meter, fs.createWriteStream(opts.dest), { signal: controller.signal });
    return { size: meter.bytes, digests: meter.digests() };
  })();
  return { done, abort: () => controller.abort() };
}
