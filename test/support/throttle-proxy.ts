/**
 * A TCP proxy on loopback that limits bandwidth, so a test can catch a real transfer
 * in the middle (to kill a worker or cancel a workflow) without huge files. The
 * servers behind it are the real ones; only the wire is slower.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

class Throttle extends Transform {
  private budget = 0;
  private last = Date.now();
  constructor(private readonly bytesPerSecond: () => number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const send = (offset: number): void => {
      if (offset >= chunk.length) return done();
      const now = Date.now();
      this.budget = Math.min(
        this.bytesPerSecond(),
        this.budget + ((now - this.last) / 1000) * this.bytesPerSecond(),
      );
      this.last = now;
      const n = Math.min(chunk.length - offset, Math.max(0, Math.floor(this.budget)));
      if (n > 0) {
        this.budget -= n;
        this.push(chunk.subarray(offset, offset + n));
      }
      if (offset + n >= chunk.length) return done();
      setTimeout(() => send(offset + n), 10);
    };
    send(0);
  }
}

export interface ThrottleProxy {
  url: string;
  /** Changes the limit for all connections from now on. */
  setRate(bytesPerSecond: number): void;
  close(): Promise<void>;
}

/** Proxies `target` (http://host:port) at `bytesPerSecond` each way; `tap` sees what clients send. */
export async function startThrottleProxy(
  target: string,
  bytesPerSecond: number,
  tap?: (fromClient: Buffer) => void,
): Promise<ThrottleProxy> {
  const { hostname, port } = new URL(target);
  let rate = bytesPerSecond;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (tap) client.on('data', tap);
    client.pipe(new Throttle(() => rate)).pipe(upstream);
    upstream.pipe(new Throttle(() => rate)).pipe(client);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    setRate: (r) => (rate = r),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
