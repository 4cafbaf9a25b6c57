/**
 * Receiving a file's bytes (PUSH body or PULL source) in constant memory: a Transform that counts,
 * hashes incrementally and can cut the stream after N bytes, and the checks that decide READY/ERROR.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { LocalizableMessage } from './errors';
import { message } from './errors';
import type { ChecksumAlgorithm, UpdateFile } from './state';

export interface MeterOptions {
  /** The AddSpec algorithm to verify with, besides the SHA-1 the server always keeps. */
  algorithm?: ChecksumAlgorithm;
  /** Called for every chunk that passes. */
  onBytes: (n: number) => void;
  /** Pass only this many bytes, then call onCut (fault injection). */
  cutAt?: number;
  onCut?: () => void;
}

/** SHA-1 (always: item files report it) and the AddSpec's other algorithm, if any. */
export interface Digests {
  sha1: string;
  extra?: string;
}

/** Counts and hashes what flows through it. */
export class Meter extends Transform {
  bytes = 0;
  private readonly sha1: Hash = createHash('sha1');
  /** The AddSpec's algorithm when it is not SHA-1 (MD5, SHA256, SHA512). */
  private readonly extra?: Hash;
  private cut = false;

  constructor(private readonly opts: MeterOptions) {
    super({ highWaterMark: 1024 * 1024 });
    if (opts.algorithm !== undefined && opts.algorithm !== 'SHA1')
      this.extra = createHash(opts.algorithm.toLowerCase());
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.cut) return cb();
    let data = chunk;
    const { cutAt } = this.opts;
    if (cutAt !== undefined && this.bytes + data.length >= cutAt) {
      data = data.subarray(0, cutAt - this.bytes);
      this.cut = true;
    }
    this.bytes += data.length;
    this.sha1.update(data);
    this.extra?.update(data);
    if (data.length > 0) this.opts.onBytes(data.length);
    cb(null, data);
    if (this.cut) this.opts.onCut?.();
  }

  /** Hex digests; call once, after the stream ended. */
  digests(): Digests {
    return { sha1: this.sha1.digest('hex'), extra: this.extra?.digest('hex') };
  }
}

/**
 * Decides a received file's fate against its AddSpec.
 * TRANSFER_STATUS (001): "ERROR ... Indicates that there was an error transferring or validating the file."
 * CHECKSUM_DEFAULT_SHA1 (001): "If not specified the default checksum algorithm is File.ChecksumAlgorithm.SHA1."
 * Returns the error, or undefined when the file is READY.
 */
export function verifyReceived(
  file: UpdateFile,
  size: number,
  digests: Digests,
): LocalizableMessage | undefined {
  if (file.size !== undefined && file.size !== size)
    return message(
      'clsim.TRANSFER_STATUS',
      `size mismatch for ${file.name}: expected ${file.size} bytes, received ${size}`,
      [file.name, String(file.size), String(size)],
    );
  const expected = file.checksum_info;
  if (expected) {
    const actual = expected.algorithm === 'SHA1' ? digests.sha1 : digests.extra;
    if (actual !== expected.checksum.toLowerCase())
      return message(
        'clsim.CHECKSUM_DEFAULT_SHA1',
        `checksum mismatch for ${file.name}: ${expected.algorithm} expected ${expected.checksum}, computed ${actual ?? '?'}`,
        [file.name, expected.algorithm, expected.checksum, actual ?? ''],
      );
  }
  return undefined;
}
