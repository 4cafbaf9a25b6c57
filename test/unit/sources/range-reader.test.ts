/**
 * @serial It bounds this process's memory while a large range streams through it: beside
 * another test file (CPU-bound on a 2-core machine) the garbage collector falls behind and
 * the peak rises with it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { openRange, readRange } from '../../../activities/sources';
import { writeContentFile, writeRandomFile } from '../../fixtures/content';
import { useScratchDir } from './helpers';

const scratch = useScratchDir('range');

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('openRange', () => {
  it('yields exactly bytes [offset, offset + length)', async () => {
    const f = await writeContentFile(join(scratch(), 'abc'), 'abcdefghijklmnopqrstuvwxyz');
    expect((await collect(openRange(f.path, 3, 5))).toString()).toBe('defgh');
    expect((await collect(openRange(f.path, 0, 26))).toString()).toBe('abcdefghijklmnopqrstuvwxyz');
    expect((await collect(openRange(f.path, 26, 0))).length).toBe(0);
  });

  it('fails when the file holds fewer bytes than the range', async () => {
    const f = await writeContentFile(join(scratch(), 'short'), '0123456789');
    await expect(collect(openRange(f.path, 4, 10))).rejects.toMatchObject({
      name: 'SourceError',
      code: 'SOURCE_UNREADABLE',
      message: expect.stringContaining('ended after 6 of the 10 bytes expected from offset 4'),
    });
  });

  it('fails for a missing file', async () => {
    await expect(collect(openRange(join(scratch(), 'nope'), 0, 1))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stops when its signal aborts', async () => {
    const f = await writeRandomFile(join(scratch(), 'abort'), 8 * 1024 * 1024, 'abort');
    const controller = new AbortController();
    const stream = openRange(f.path, 0, f.size, { highWaterMark: 64 * 1024, signal: controller.signal });
    let seen = 0;
    await expect(
      (async () => {
        for await (const c of stream) {
          seen += (c as Buffer).length;
          if (seen >= 256 * 1024) controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBeLessThan(f.size);
  });

  it('streams a 200 MB range without raising RSS by more than 40 MB', async () => {
    const size = 200 * 1024 * 1024;
    const f = await writeRandomFile(join(scratch(), 'big'), size + 4096, 'big');
    const expected = createHash('sha1');
    // The range's digest, computed independently of openRange by a plain read from offset 4096 to the end.
    for await (const c of createReadStream(f.path, { start: 4096 })) expected.update(c as Buffer);

    const before = process.memoryUsage.rss();
    let peak = before;
    let bytes = 0;
    const h = createHash('sha1');
    for await (const chunk of openRange(f.path, 4096, size)) {
      h.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      peak = Math.max(peak, process.memoryUsage.rss());
    }
    expect(bytes).toBe(size);
    expect(h.digest('hex')).toBe(expected.digest('hex'));
    expect(peak - before).toBeLessThan(40 * 1024 * 1024);
  });
});

describe('readRange', () => {
  /** Copies each chunk: readRange reuses its buffers once the next chunk is asked for. */
  async function collectCopies(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
    const copies: Buffer[] = [];
    for await (const c of chunks) copies.push(Buffer.from(c));
    return Buffer.concat(copies);
  }

  it('yields exactly bytes [offset, offset + length), across chunk boundaries', async () => {
    const f = await writeContentFile(join(scratch(), 'abc'), 'abcdefghijklmnopqrstuvwxyz');
    expect((await collectCopies(readRange(f.path, 3, 5))).toString()).toBe('defgh');
    expect((await collectCopies(readRange(f.path, 0, 26, { chunkSize: 4 }))).toString()).toBe(
      'abcdefghijklmnopqrstuvwxyz',
    );
    expect((await collectCopies(readRange(f.path, 1, 24, { chunkSize: 7 }))).toString()).toBe(
      'bcdefghijklmnopqrstuvwxy',
    );
    expect((await collectCopies(readRange(f.path, 26, 0))).length).toBe(0);
  });

  it('matches an independent digest of a large range, read in reused buffers', async () => {
    const size = 9 * 1024 * 1024 + 123;
    const f = await writeRandomFile(join(scratch(), 'big'), size + 4096, 'ring');
    const expected = createHash('sha1');
    for await (const c of createReadStream(f.path, { start: 4096 })) expected.update(c as Buffer);
    const h = createHash('sha1');
    const seen = new Set<ArrayBufferLike>();
    for await (const chunk of readRange(f.path, 4096, size)) {
      h.update(chunk);
      seen.add(chunk.buffer);
    }
    expect(h.digest('hex')).toBe(expected.digest('hex'));
    expect(seen.size).toBeLessThanOrEqual(3);
  });

  it('fails when the file holds fewer bytes than the range', async () => {
    const f = await writeContentFile(join(scratch(), 'short'), '0123456789');
    await expect(collectCopies(readRange(f.path, 4, 10, { chunkSize: 4 }))).rejects.toMatchObject({
      name: 'SourceError',
      code: 'SOURCE_UNREADABLE',
      message: expect.stringContaining('ended after 6 of the 10 bytes expected from offset 4'),
    });
  });

  it('fails for a missing file', async () => {
    await expect(collectCopies(readRange(join(scratch(), 'nope'), 0, 1))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('stops with the signal reason when it aborts', async () => {
    const f = await writeRandomFile(join(scratch(), 'abort'), 8 * 1024 * 1024, 'abort');
    const controller = new AbortController();
    const reason = new Error('cancelled');
    let seen = 0;
    await expect(
      (async () => {
        for await (const c of readRange(f.path, 0, f.size, {
          chunkSize: 64 * 1024,
          signal: controller.signal,
        })) {
          seen += c.length;
          if (seen >= 256 * 1024) controller.abort(reason);
        }
      })(),
    ).rejects.toBe(reason);
    expect(seen).toBeLessThan(f.size);
  });
});
