/**
 * Streams a byte range of a file: a whole file, an OVA member, or the rest of a file
 * when a transfer resumes. Memory stays at a few chunks whatever the range's size,
 * and a range that comes up short (the file shrank under us) is an error rather than
 * a silently truncated upload.
 */
import { constants, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { SourceError } from './errors';

/** Options of {@link openRange}. */
export interface OpenRangeOptions {
  /** Bytes per chunk read from disk; larger chunks mean fewer syscalls and PUT writes. @default 1 MiB */
  highWaterMark?: number;
  /** Aborts the read; the stream is destroyed with an AbortError. */
  signal?: AbortSignal;
}

const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** A stream of bytes [offset, offset + length) of the file at `path`; errors if the file holds fewer. */
export function openRange(
  path: string,
  offset: number,
  length: number,
  opts: OpenRangeOptions = {},
): Readable {
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
  if (!Number.isSafeInteger(length) || length < 0)
    throw new RangeError(`length must be a non-negative integer, got ${length}`);
  const highWaterMark = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;

  // createReadStream rejects start > end, which is what an empty range would need.
  if (length === 0) {
    return new Readable({
      read() {
        this.push(null);
      },
    });
  }

  const file = createReadStream(path, {
    start: offset,
    end: offset + length - 1,
    highWaterMark,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let seen = 0;
  const counted = new Transform({
    readableHighWaterMark: highWaterMark,
    writableHighWaterMark: highWaterMark,
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (seen === length) return callback();
      callback(
        new SourceError(
          'SOURCE_UNREADABLE',
          `${path} ended after ${seen} of the ${length} bytes expected from offset ${offset}; ` +
            'the file changed after it was planned, so plan the upload again',
          { path },
        ),
      );
    },
  });
  // pipeline() forwards errors both ways: a read error (or abort) destroys `counted`, and a
  // consumer destroying `counted` closes the file descriptor.
  pipeline(file, counted, () => {});
  return counted;
}

/** Options of {@link readRange}. */
export interface ReadRangeOptions {
  /** Bytes per chunk. @default 1 MiB */
  chunkSize?: number;
  /** Aborts the read; the iteration throws the signal's reason. */
  signal?: AbortSignal;
}

/** Buffers {@link readRange} cycles through: the chunk being consumed, the one being read ahead, one spare. */
const RING = 3;

function shortRange(path: string, seen: number, length: number, offset: number): SourceError {
  return new SourceError(
    'SOURCE_UNREADABLE',
    `${path} ended after ${seen} of the ${length} bytes expected from offset ${offset}; ` +
      'the file changed after it was planned, so plan the upload again',
    { path },
  );
}

/**
 * Bytes [offset, offset + length) of the file at `path`, like {@link openRange}, for the
 * transfer's hot path: the next chunk is read while the consumer handles the current one,
 * into a ring of {@link RING} buffers allocated once. So memory is a few chunks whatever
 * the size, and the bytes are hashed and sent from memory still in the CPU's cache, rather
 * than from a fresh allocation per chunk (which costs page faults, cache misses and garbage
 * collection: about a third of the transfer's CPU time).
 *
 * The price is a contract: **a chunk is valid only until the next call to `next()`** (the
 * one after that overwrites its buffer). A consumer must be done with it by then, or copy it.
 * `for await` loops that finish with each chunk inside the loop body, and undici sending an
 * async-iterable request body (it waits for the socket to drain before pulling the next
 * chunk) both meet it.
 */
export async function* readRange(
  path: string,
  offset: number,
  length: number,
  opts: ReadRangeOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
  if (!Number.isSafeInteger(length) || length < 0)
    throw new RangeError(`length must be a non-negative integer, got ${length}`);
  const { signal } = opts;
  signal?.throwIfAborted();
  if (length === 0) return;
  const chunkSize = Math.min(opts.chunkSize ?? DEFAULT_HIGH_WATER_MARK, length);
  // O_NONBLOCK: a named pipe swapped in for the planned file fails the read instead of blocking open().
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const ring = Array.from({ length: RING }, () => Buffer.allocUnsafeSlow(chunkSize));
  let next = 0;
  let requested = 0;
  /** Fills the next ring buffer with the next chunk of the range. */
  const readChunk = async (): Promise<Buffer> => {
    const buf = ring[next++ % RING]!;
    const start = requested;
    const want = Math.min(chunkSize, length - start);
    requested += want;
    let got = 0;
    while (got < want) {
      const { bytesRead } = await file.read(buf, got, want - got, offset + start + got);
      if (bytesRead === 0) throw shortRange(path, start + got, length, offset);
      got += bytesRead;
    }
    return want === buf.length ? buf : buf.subarray(0, want);
  };
  let ahead: Promise<Buffer> | undefined;
  try {
    ahead = readChunk();
    while (ahead) {
      const chunk = await ahead;
      signal?.throwIfAborted();
      ahead = requested < length ? readChunk() : undefined;
      yield chunk;
    }
  } finally {
    // A consumer that stops early (or an error) may leave a read in flight: let it settle before closing.
    await ahead?.catch(() => undefined);
    await file.close();
  }
}
