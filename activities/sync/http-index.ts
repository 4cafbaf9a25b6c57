/**
 * An HTTP(S) index as a sync source: fetching the JSON document, and streaming one of
 * its files through SHA-256 and SHA-1 to check it before the vCenter pulls it.
 *
 * vCenter verifies a PULL only against SHA-1 or MD5, while the index names SHA-256. So,
 * before a new or changed file is pulled, the worker reads it once (streamed, nothing
 * kept), checks the SHA-256 and size the index promises, and hands the SHA-1 of the very
 * same bytes to the vCenter as the pull's checksum: the vCenter then refuses anything
 * other than those bytes. Without verification the pull is checked against the size, and
 * against the SHA-1 when the index lists one.
 */
import { createHash } from 'node:crypto';
import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { SyncIndex, type SyncIndexEntry } from '../../workflows/definitions/sync';
import { normalizeThumbprint, pinnedConnector } from '../content-library';
import { SourceError } from '../sources';

/** The largest index document read. */
const MAX_INDEX_BYTES = 16 * 1024 * 1024;

function dispatcherFor(thumbprint: string | undefined): Agent {
  return thumbprint
    ? new Agent({
        connect: pinnedConnector(normalizeThumbprint(thumbprint, 'source.sslCertificateThumbprint')),
      })
    : new Agent();
}

async function get(
  url: string,
  dispatcher: Dispatcher,
  signal?: AbortSignal,
): Promise<Dispatcher.ResponseData> {
  const res = await request(url, {
    dispatcher,
    headersTimeout: 60_000,
    bodyTimeout: 300_000,
    ...(signal ? { signal } : {}),
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new SourceError('SOURCE_NOT_FOUND', `GET ${url} answered HTTP ${res.statusCode}`, {
      // A server error, a timeout or a rate limit may clear up; a 404 or 403 will not.
      retryable: res.statusCode >= 500 || res.statusCode === 408 || res.statusCode === 429,
    });
  }
  return res;
}

/** Fetches and validates an index document; entry URLs come back absolute. */
export async function fetchIndex(url: string, thumbprint?: string): Promise<SyncIndexEntry[]> {
  const agent = dispatcherFor(thumbprint);
  try {
    const res = await get(url, agent);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_INDEX_BYTES) {
        res.body.destroy();
        throw new SourceError(
          'SOURCE_UNREADABLE',
          `index ${url} is larger than ${MAX_INDEX_BYTES} bytes; is it the right URL?`,
        );
      }
      chunks.push(chunk);
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      throw new SourceError('SOURCE_UNREADABLE', `index ${url} is not JSON: ${(err as Error).message}`);
    }
    const parsed = SyncIndex.safeParse(json);
    if (!parsed.success) {
      throw new SourceError(
        'SOURCE_UNREADABLE',
        `index ${url} is not a valid index:\n${z.prettifyError(parsed.error)}`,
      );
    }
    return parsed.data.map((e) => ({ ...e, url: new URL(e.url, url).href }));
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw new SourceError(
      'SOURCE_UNREADABLE',
      `index ${url} could not be fetched: ${(err as Error).message}`,
      { retryable: true, cause: err },
    );
  } finally {
    await agent.close();
  }
}

/** Size, SHA-1 and SHA-256 of what `url` serves, streamed (memory stays at a few chunks). */
export async function digestUrl(
  url: string,
  opts: { thumbprint?: string; signal?: AbortSignal; onProgress?: (bytes: number) => void } = {},
): Promise<{ size: number; sha1: string; sha256: string }> {
  const agent = dispatcherFor(opts.thumbprint);
  try {
    const res = await get(url, agent, opts.signal);
    const sha1 = createHash('sha1');
    const sha256 = createHash('sha256');
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      sha1.update(chunk);
      sha256.update(chunk);
      size += chunk.length;
      opts.onProgress?.(size);
    }
    return { size, sha1: sha1.digest('hex'), sha256: sha256.digest('hex') };
  } finally {
    await agent.close();
  }
}
