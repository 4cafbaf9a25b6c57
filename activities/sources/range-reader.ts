/**
 * Streams a byte range of a file: a whole file, an OVA member, or the rest of a file
 * when a transfer resumes. Memory stays at a few chunks whatever the range's size,
 * and a range that comes up short (the file shrank under us) is an error rather than
 * a silently truncated upload.
 */
import { createReadStream } from 'node:fs';
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
