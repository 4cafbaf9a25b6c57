/**
 * Where a download's bytes go on their way to disk: see {@link PartFileWriter}.
 */
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** Writes all of `chunk` at `position` (a single write may be short). */
async function writeAll(fh: FileHandle, chunk: Buffer, position: number): Promise<void> {
  for (let done = 0; done < chunk.length;) {
    const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}

/** Bytes per write: each of the writer's two buffers. */
const SLAB_BYTES = 2 * 1024 * 1024;
/** A partly filled buffer is written once no bytes have come for this long (a stalled response). */
const IDLE_WRITE_MS = 200;
/** Written bytes between background flushes to disk (see PartFileWriter). */
const FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * The sink of a download: hashes the response's bytes in order and writes them at their
 * offset in the part file, {@link SLAB_BYTES} at a time, from two buffers allocated once.
 *
 * Each network chunk (64 KiB) is copied into the buffer being filled and let go at once.
 * Awaiting one write per chunk left the thread idle for a thread-pool round trip each time
 * (half the throughput); keeping the chunks until a batched write took them made them live
 * long enough to reach V8's old generation, where their memory waits for a full GC (tens of
 * MiB of resident set). With two buffers one is written while the other fills, and memory
 * stays at those two whatever the file's size. Every {@link FLUSH_EVERY_BYTES} an fdatasync
 * also starts in the background, so the disk writes back while the network is still busy and
 * the fsync before the rename does not wait for the whole file.
 *
 * When the response stalls, a partly filled buffer is written after {@link IDLE_WRITE_MS}, so
 * what arrived is on disk (and survives a crash) rather than waiting for bytes that may not
 * come; at full speed at most the two buffers (4 MiB) are in memory and not yet on disk.
 */
export class PartFileWriter extends Writable {
  private readonly slabs = [Buffer.allocUnsafeSlow(SLAB_BYTES), Buffer.allocUnsafeSlow(SLAB_BYTES)];
  private current = 0;
  private filled = 0;
  /** Offset of the first byte of the buffer being filled. */
  private queued: number;
  /** The write in flight, of the other buffer. */
  private writing: Promise<void> | undefined;
  private flushing: Promise<void> | undefined;
  private sinceFlush = 0;
  /** Every step runs after the one before: the stream's writes and the idle timer's. */
  private steps: Promise<void> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly fh: FileHandle,
    private position: number,
    private readonly digester: { update(chunk: Uint8Array): void },
    private readonly onWritten: (position: number) => void,
  ) {
    super();
    this.queued = position;
  }

  /** Where the next byte goes: everything before it is written (not necessarily on disk). */
  get offset(): number {
    return this.position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.step(() => this.take(chunk)).then(() => {
      if (this.filled > 0) this.armIdle();
      callback();
    }, callback);
  }

  /**
   * (Re)starts the stall timer. One timer per writer, pushed back with refresh() on every chunk
   * (16k chunks per GiB) instead of a new one each time; if it fires after the buffer was
   * written anyway, spill() finds it empty and does nothing.
   */
  private armIdle(): void {
    if (this.idle) {
      this.idle.refresh();
      return;
    }
    this.idle = setTimeout(() => {
      this.step(() => this.spill()).catch((err: Error) => this.destroy(err));
    }, IDLE_WRITE_MS);
    this.idle.unref();
  }

  override _final(callback: (error?: Error | null) => void): void {
    clearTimeout(this.idle);
    this.step(() => this.spill())
      .then(() => this.writing)
      .then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.idle);
    callback(error);
  }

  /** Waits for the background flush, if any; the caller fsyncs after. */
  async settled(): Promise<void> {
    await this.flushing;
  }

  private step(run: () => Promise<void>): Promise<void> {
    const next = this.steps.then(run);
    this.steps = next.catch(() => undefined);
    return next;
  }

  private async take(chunk: Buffer): Promise<void> {
    for (let at = 0; at < chunk.length;) {
      const n = chunk.copy(this.slabs[this.current]!, this.filled, at);
      this.filled += n;
      at += n;
      if (this.filled === SLAB_BYTES) await this.spill();
    }
  }

  /** Hashes the buffer being filled and starts writing it, once the other one is written; then fills the other. */
  private async spill(): Promise<void> {
    await this.writing;
    if (this.filled === 0) return;
    const bytes = this.slabs[this.current]!.subarray(0, this.filled);
    this.digester.update(bytes);
    const at = this.queued;
    this.queued += bytes.length;
    this.current ^= 1;
    this.filled = 0;
    const writing = writeAll(this.fh, bytes, at).then(() => this.written(at, bytes.length));
    // Awaited by the next spill or by _final; marked handled so a stream destroyed meanwhile
    // (the response failed) does not turn the write's error into an unhandled rejection.
    writing.catch(() => undefined);
    this.writing = writing;
  }

  private written(at: number, length: number): void {
    this.position = at + length;
    this.sinceFlush += length;
    if (this.sinceFlush >= FLUSH_EVERY_BYTES && !this.flushing) {
      this.sinceFlush = 0;
      // Only a head start for the final fsync, which reports any error: none is lost here.
      this.flushing = this.fh.datasync().then(
        () => (this.flushing = undefined),
        () => (this.flushing = undefined),
      );
    }
    this.onWritten(this.position);
  }
}
