/**
 * @serial It bounds this process's memory while 300 MiB stream through the simulator: beside
 * another test file (CPU-bound on a 2-core machine) the garbage collector falls behind and
 * the peak rises with it.
 */
import { createHash } from 'node:crypto';
import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import type { UpdateFileInfo } from './helpers';
import { fixture, streamingPut } from './helpers';

const MiB = 1 << 20;
const SIZE = 300 * MiB;

describe('simulator: memory', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  it('streams a 300 MiB PUT to disk without growing heap or RSS by more than ~50 MiB', async () => {
    const { client, itemId } = await fixture(sim);
    const sessionId = ((await client.createUpdateSession(itemId)).body as { value: string }).value;
    const chunk = Buffer.alloc(MiB);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
    const expected = createHash('sha1');
    for (let i = 0; i < SIZE / MiB; i++) expected.update(chunk);
    const added = await client.addFile(sessionId, {
      name: 'big.bin',
      source_type: 'PUSH',
      size: SIZE,
      checksum_info: { checksum: expected.digest('hex') },
    });
    const uri = (added.body as { value: UpdateFileInfo }).value.upload_endpoint?.uri ?? '';

    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakHeap = base.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 10);
    const { req, done } = streamingPut(uri, client.token ?? '', SIZE);
    // The body is generated as it is sent, honouring backpressure: one 1 MiB buffer, written 300 times.
    for (let i = 0; i < SIZE / MiB; i++) {
      if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
    }
    req.end();
    const res = await done;
    clearInterval(sampler);

    expect(res.status).toBe(200);
    expect(await client.sessionFile(sessionId, 'big.bin')).toMatchObject({
      status: 'READY',
      bytes_transferred: SIZE,
    });
    expect(sim.stats.bytesReceived(sessionId)).toBe(SIZE);
    expect((peakRss - base.rss) / MiB).toBeLessThan(50);
    expect((peakHeap - base.heapUsed) / MiB).toBeLessThan(50);
    await client.updateSessionAction(sessionId, 'cancel');
  });
});
