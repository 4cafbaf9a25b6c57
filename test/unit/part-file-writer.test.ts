import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DIRECT_ALIGN, PartFileWriter, pooledSlabPairs } from '../../activities/part-file-writer';

const MiB = 1024 * 1024;
/** Compared by digest: Jest's toEqual walks a Buffer byte by byte (seconds per MiB). */
const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest('hex');

/** Splits `data` into network-sized chunks of uneven length, as a response body arrives. */
function chunked(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = [65536, 1, 300_000, 7][i % 4]!;
    chunks.push(data.subarray(at, at + n));
    at += n;
  }
  return Readable.from(chunks);
}

describe('PartFileWriter', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-writer-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes and hashes every byte in order across slab boundaries, reporting written offsets that only grow', async () => {
    const data = randomBytes(5 * MiB + 12345);
    const path = join(dir, 'whole.part');
    const fh = await open(path, 'w+');
    const hash = createHash('sha1');
    const reported: number[] = [];
    const writer = new PartFileWriter(fh, 0, hash, (p) => reported.push(p));
    await pipeline(chunked(data), writer);
    await writer.settled();
    await fh.close();
    expect(writer.offset).toBe(data.length);
    expect(sha1(await readFile(path))).toBe(sha1(data));
    expect(hash.digest('hex')).toBe(sha1(data));
    expect(reported.at(-1)).toBe(data.length);
    expect(reported).toEqual([...reported].sort((a, b) => a - b));
    // Slab-sized writes, not one per network chunk.
    expect(reported.length).toBe(3);
  });

  it('continues a part file at its end without touching the bytes before it', async () => {
    const prefix = randomBytes(3 * MiB + 1);
    const rest = randomBytes(2 * MiB - 1);
    const path = join(dir, 'resume.part');
    await writeFile(path, prefix);
    const fh = await open(path, 'r+');
    const hash = createHash('sha1');
    const writer = new PartFileWriter(fh, prefix.length, hash, () => undefined);
    await pipeline(chunked(rest), writer);
    await fh.close();
    expect(sha1(await readFile(path))).toBe(sha1(Buffer.concat([prefix, rest])));
    expect(hash.digest('hex')).toBe(sha1(rest));
  });

  it('leaves only whole written slabs behind when the response fails midway, and reports the failure', async () => {
    const data = randomBytes(5 * MiB);
    const path = join(dir, 'broken.part');
    const fh = await open(path, 'w+');
    const writer = new PartFileWriter(fh, 0, createHash('sha1'), () => undefined);
    async function* failing() {
      yield data.subarray(0, 3 * MiB);
      // Let the first slab's write finish, as it would while the next bytes are on the wire.
      await new Promise((r) => setTimeout(r, 50));
      yield data.subarray(3 * MiB, 4 * MiB);
      throw new Error('connection reset');
    }
    await expect(pipeline(Readable.from(failing()), writer)).rejects.toThrow('connection reset');
    await writer.settled();
    await fh.close();
    const kept = await readFile(path);
    // What is on disk is a prefix of the data, and the writer's offset says how long it is.
    expect(kept.length).toBeLessThanOrEqual(writer.offset);
    expect(sha1(kept)).toBe(sha1(data.subarray(0, kept.length)));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length % (2 * MiB)).toBe(0);
  });

  it('writes what has arrived when the response stalls, without waiting for a full buffer', async () => {
    const data = randomBytes(300_000);
    const path = join(dir, 'stalled.part');
    const fh = await open(path, 'w+');
    const writer = new PartFileWriter(fh, 0, createHash('sha1'), () => undefined);
    writer.write(data);
    const deadline = Date.now() + 5000;
    while (writer.offset < data.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(writer.offset).toBe(data.length);
    expect(sha1(await readFile(path))).toBe(sha1(data));
    writer.end();
    await new Promise((r) => writer.on('finish', r));
    await fh.close();
  });

  it('holds a partly filled buffer while bytes keep coming, and writes it once they stop', async () => {
    const path = join(dir, 'trickle.part');
    const fh = await open(path, 'w+');
    const writer = new PartFileWriter(fh, 0, createHash('sha1'), () => undefined);
    const data = randomBytes(12 * 1024);
    // 12 chunks 60 ms apart: 720 ms of trickle, each chunk well inside the 200 ms stall window.
    for (let i = 0; i < 12; i++) {
      writer.write(data.subarray(i * 1024, (i + 1) * 1024));
      await new Promise((r) => setTimeout(r, 60));
      expect(writer.offset).toBe(0);
    }
    const stopped = Date.now();
    while (writer.offset < data.length && Date.now() - stopped < 5000)
      await new Promise((r) => setTimeout(r, 10));
    expect(writer.offset).toBe(data.length);
    expect(Date.now() - stopped).toBeLessThan(1000);
    expect(sha1(await readFile(path))).toBe(sha1(data));
    writer.end();
    await new Promise((r) => writer.on('finish', r));
    await fh.close();
  });

  /** The file `fh` has open, again, write-only with O_DIRECT (as the download activity opens it). */
  const openDirect = (fh: FileHandle) =>
    open(`/proc/self/fd/${fh.fd}`, constants.O_WRONLY | constants.O_DIRECT);

  it('writes whole aligned buffers with O_DIRECT and the odd-sized tail through the page cache', async () => {
    const data = randomBytes(5 * MiB + 12345);
    const path = join(dir, 'direct.part');
    const fh = await open(path, 'w+');
    const direct = await openDirect(fh);
    const hash = createHash('sha1');
    const writer = new PartFileWriter(fh, 0, hash, () => undefined, direct);
    await pipeline(chunked(data), writer);
    await writer.settled();
    await direct.close();
    await fh.sync();
    await fh.close();
    // Two whole buffers; a buffer spilled early by a stall (a loaded machine) could shift that, so
    // the exact figure is not asserted, only whole aligned writes.
    expect(writer.directBytes).toBeGreaterThanOrEqual(2 * MiB);
    expect(writer.directBytes).toBeLessThanOrEqual(data.length - 12345);
    expect(writer.directBytes % DIRECT_ALIGN).toBe(0);
    expect(sha1(await readFile(path))).toBe(sha1(data));
    expect(hash.digest('hex')).toBe(sha1(data));
  });

  it('after a resume at an odd offset, fills the first buffer only up to an aligned offset so the rest can go direct', async () => {
    const prefix = randomBytes(3 * MiB + 1);
    const rest = randomBytes(6 * MiB);
    const path = join(dir, 'direct-resume.part');
    await writeFile(path, prefix);
    const fh = await open(path, 'r+');
    const direct = await openDirect(fh);
    const writer = new PartFileWriter(fh, prefix.length, createHash('sha1'), () => undefined, direct);
    await pipeline(chunked(rest), writer);
    await direct.close();
    await fh.close();
    expect(sha1(await readFile(path))).toBe(sha1(Buffer.concat([prefix, rest])));
    // First buffer: up to the next 4 KiB boundary (buffered); then whole 2 MiB buffers direct. Had
    // the buffers stayed at the odd offset, the kernel would refuse every direct write (EINVAL)
    // and nothing would go direct.
    expect(writer.directBytes).toBeGreaterThanOrEqual(2 * MiB);
    expect(writer.directBytes).toBeLessThanOrEqual(rest.length - (2 * MiB - (prefix.length % DIRECT_ALIGN)));
  });

  it('falls back to the page cache for good when a direct write is refused (EINVAL)', async () => {
    const data = randomBytes(5 * MiB);
    const path = join(dir, 'refused.part');
    const fh = await open(path, 'w+');
    // A filesystem with other O_DIRECT rules cannot be mounted here; a handle that refuses stands in.
    let refused = 0;
    const refusing = {
      write: () => {
        refused++;
        return Promise.reject(
          Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' }),
        );
      },
    } as unknown as FileHandle;
    const writer = new PartFileWriter(fh, 0, createHash('sha1'), () => undefined, refusing);
    await pipeline(chunked(data), writer);
    await fh.close();
    expect(refused).toBe(1);
    expect(writer.directBytes).toBe(0);
    expect(sha1(await readFile(path))).toBe(sha1(data));
  });

  it('hands its buffers to the next file once its last write is done, so memory stays flat across files', async () => {
    const waitForPool = async (n: number) => {
      for (let i = 0; i < 100 && pooledSlabPairs() !== n; i++) await new Promise((r) => setTimeout(r, 10));
      return pooledSlabPairs();
    };
    const writeOne = async (name: string) => {
      const fh = await open(join(dir, name), 'w+');
      const writer = new PartFileWriter(fh, 0, createHash('sha1'), () => undefined);
      const taken = pooledSlabPairs();
      await pipeline(chunked(randomBytes(3 * MiB)), writer);
      await fh.close();
      return taken;
    };
    // Pool size while each writer runs, then after it is done.
    const during = await writeOne('pool-1.part');
    expect(await waitForPool(during + 1)).toBe(during + 1);
    // The next writer takes that pair back rather than allocating one, and returns it too.
    expect(await writeOne('pool-2.part')).toBe(during);
    expect(await waitForPool(during + 1)).toBe(during + 1);
  });

  it('takes network-sized chunks at once while the buffer has room: no back-pressure, nothing queued', async () => {
    // A response pauses whenever write() returns false: with Node's default 16 KiB mark and
    // every chunk queued behind a promise, that was every chunk (~50k times per GiB from vcsim).
    const data = randomBytes(MiB);
    const path = join(dir, 'fast.part');
    const fh = await open(path, 'w+');
    const writer = new PartFileWriter(fh, 0, createHash('sha1'), () => undefined);
    for (let at = 0; at < data.length; at += 64 * 1024) {
      expect(writer.write(data.subarray(at, at + 64 * 1024))).toBe(true);
      expect(writer.writableLength).toBe(0);
    }
    writer.end();
    await new Promise((r) => writer.on('finish', r));
    await fh.close();
    expect(sha1(await readFile(path))).toBe(sha1(data));
  });

  it('fails the stream when a write fails', async () => {
    const path = join(dir, 'readonly.part');
    await writeFile(path, '');
    const fh = await open(path, 'r');
    const writer = new PartFileWriter(fh, 0, createHash('sha1'), () => undefined);
    await expect(pipeline(chunked(randomBytes(3 * MiB)), writer)).rejects.toMatchObject({ code: 'EBADF' });
    await fh.close();
  });
});
