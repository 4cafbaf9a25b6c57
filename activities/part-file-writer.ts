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
/**
 * O_DIRECT wants the buffer's address, the file offset and the length to be multiples of the
 * device's logical block size (512 or 4096 bytes); 4 KiB satisfies both.
 */
export const DIRECT_ALIGN = 4096;

// The project's TypeScript libs (es2022, no DOM) do not declare WebAssembly; Node has it.
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
};

/**
 * The two slabs, page-aligned so that O_DIRECT can write them. Buffer memory comes from
 * malloc (16-byte aligned); a WebAssembly memory is mapped by V8's page allocator, so its
 * first byte starts a page. Where WebAssembly is unavailable (--jitless) plain buffers do,
 * and a direct write that refuses their alignment falls back to the page cache.
 */
function allocateSlabs(): [Buffer, Buffer] {
  try {
    const pages = (2 * SLAB_BYTES) / 65536;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    return [Buffer.from(memory.buffer, 0, SLAB_BYTES), Buffer.from(memory.buffer, SLAB_BYTES, SLAB_BYTES)];
  } catch {
    return [Buffer.allocUnsafeSlow(SLAB_BYTES), Buffer.allocUnsafeSlow(SLAB_BYTES)];
  }
}

/**
 * Slab pairs of finished writers, reused by the next ones. A WebAssembly memory is freed only
 * when a full GC finds it unreachable, so one per file piled up: +50 MiB of resident set after
 * a few dozen files. The pool holds at most as many pairs as writers ever ran at once, capped.
 */
const slabPool: Array<[Buffer, Buffer]> = [];
const MAX_POOLED_SLAB_PAIRS = 8;

/** Pairs waiting in the pool (for tests). */
export function pooledSlabPairs(): number {
  return slabPool.length;
}

/** A partly filled buffer is written once no bytes have come for this long (a stalled response). */
const IDLE_WRITE_MS = 200;
/** Bytes the stream may hold before back-pressure: a buffer's worth, while the other is written. */
const HIGH_WATER_MARK = SLAB_BYTES;
/** Written bytes between background flushes to disk (see PartFileWriter). */
const FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * The sink of a download: hashes the response's bytes in order and writes them at their
 * offset in the part file, {@link SLAB_BYTES} at a time, from two buffers (a pair reused
 * from file to file, see slabPool).
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
 *
 * Given a second handle on the file opened with O_DIRECT, whole aligned buffers go through it,
 * past the page cache: a multi-gigabyte download then neither evicts the host's working set
 * nor pays the kernel's copy into cache pages (on this project's VMs that copy cost more CPU
 * than everything else in the download), and the final fsync has almost nothing left to do.
 * Each buffer is filled only up to the next {@link DIRECT_ALIGN} boundary of the file, so after
 * a resume or a stall at an odd offset the next buffer is aligned again; the odd-sized pieces
 * (such a first buffer, a stalled buffer, the file's tail) go through the page cache. A direct
 * write the kernel refuses (EINVAL: a filesystem or device with other rules) turns direct
 * writes off for the rest of the file and is done through the page cache instead.
 */
export class PartFileWriter extends Writable {
  private readonly slabs = slabPool.pop() ?? allocateSlabs();
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
  private directWritten = 0;

  /** Steps started and not yet settled: while there are any, a chunk waits its turn behind them. */
  private pending = 0;

  constructor(
    private readonly fh: FileHandle,
    private position: number,
    private readonly digester: { update(chunk: Uint8Array): void },
    private readonly onWritten: (position: number) => void,
    /** The same file opened with O_DIRECT (write-only), or undefined to write through `fh` only. */
    private direct?: FileHandle,
  ) {
    // With the default 16 KiB, every network chunk (~20-64 KiB) made write() return false, so the
    // response paused and resumed around each one: tens of thousands of times per GiB.
    super({ highWaterMark: HIGH_WATER_MARK });
    this.queued = position;
  }

  /** Where the next byte goes: everything before it is written (not necessarily on disk). */
  get offset(): number {
    return this.position;
  }

  /** Bytes written with O_DIRECT, past the page cache. */
  get directBytes(): number {
    return this.directWritten;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // The common case, done at once: nothing queued before it and room in the buffer. Going
    // through the step chain cost two promise turns per chunk (~50k chunks per GiB from vcsim).
    if (this.pending === 0 && this.filled + chunk.length < this.capacity()) {
      this.filled += chunk.copy(this.slabs[this.current]!, this.filled);
      this.armIdle();
      callback();
      return;
    }
    this.step(() => this.take(chunk)).then(() => {
      if (this.filled > 0) this.armIdle();
      callback();
    }, callback);
  }

  /** Chunks that queued behind a buffer's write: taken in one step. */
  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.step(async () => {
      for (const { chunk } of chunks) await this.take(chunk);
    }).then(() => {
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
    // Called after finishing too (autoDestroy). The buffers go back to the pool only once no
    // step and no write can touch them: a write in flight still reads from its buffer.
    this.steps
      .then(() => this.writing)
      .catch(() => undefined)
      .finally(() => {
        if (slabPool.length < MAX_POOLED_SLAB_PAIRS) slabPool.push(this.slabs);
      })
      .catch(() => undefined);
  }

  /** Waits for the background flush, if any; the caller fsyncs after. */
  async settled(): Promise<void> {
    await this.flushing;
  }

  private step(run: () => Promise<void>): Promise<void> {
    this.pending++;
    const next = this.steps.then(run).finally(() => this.pending--);
    this.steps = next.catch(() => undefined);
    return next;
  }

  /** Bytes the buffer being filled holds when full: up to the next aligned offset of the file. */
  private capacity(): number {
    return SLAB_BYTES - (this.queued % DIRECT_ALIGN);
  }

  private async take(chunk: Buffer): Promise<void> {
    for (let at = 0; at < chunk.length;) {
      // SLAB_BYTES unless the buffer starts at an odd offset (after a resume or a stall).
      const capacity = this.capacity();
      const n = chunk.copy(this.slabs[this.current]!, this.filled, at, at + capacity - this.filled);
      this.filled += n;
      at += n;
      if (this.filled === capacity) await this.spill();
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
    const writing = this.writeAt(bytes, at).then((direct) => this.written(at, bytes.length, direct));
    // Awaited by the next spill or by _final; marked handled so a stream destroyed meanwhile
    // (the response failed) does not turn the write's error into an unhandled rejection.
    writing.catch(() => undefined);
    this.writing = writing;
  }

  /** Writes `bytes` at `at`, with O_DIRECT when allowed and aligned; resolves whether it was. */
  private async writeAt(bytes: Buffer, at: number): Promise<boolean> {
    if (this.direct && at % DIRECT_ALIGN === 0 && bytes.length % DIRECT_ALIGN === 0) {
      try {
        await writeAll(this.direct, bytes, at);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        this.direct = undefined;
      }
    }
    await writeAll(this.fh, bytes, at);
    return false;
  }

  private written(at: number, length: number, direct: boolean): void {
    this.position = at + length;
    if (direct) this.directWritten += length;
    // Direct writes count too: they are past the page cache but maybe not past the disk's own
    // write cache, which the fsync flushes (half a second per GiB here when left to the end).
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
