/**
 * A TCP proxy on loopback for a vCenter's `transferUrl` that counts what crosses it each way:
 * the bytes the data path really carried (transfers cut by a kill and retried included), against
 * which a test measures what was sent twice. HTTP headers count too (a few hundred bytes a
 * request). It can pace each connection, so a big transfer is still running when a test acts.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface CountingProxy {
  url: string;
  /** Bytes clients sent through the proxy (upload bodies). */
  readonly up: number;
  /** Bytes the server sent back through it (download bodies). */
  readonly down: number;
  /** Bytes per second per connection and direction from now on; 0: unpaced. */
  setRate(bytesPerSecond: number): void;
  close(): Promise<void>;
}

/**
 * Copies `from` to `to`, counting, holding `from` while `to` is full or while the connection is
 * ahead of the rate (a paused socket stops reading, so TCP slows the sender).
 */
function forward(from: Socket, to: Socket, count: (n: number) => void, rate: () => number): void {
  let due = 0;
  let holds = 0;
  const hold = () => {
    if (holds++ === 0) from.pause();
  };
  const release = () => {
    if (--holds === 0) from.resume();
  };
  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    if (!to.write(chunk)) {
      hold();
      to.once('drain', release);
    }
    const r = rate();
    if (r > 0) {
      const now = Date.now();
      due = Math.max(due, now) + (chunk.length / r) * 1000;
      if (due - now > 10) {
        hold();
        setTimeout(release, due - now);
      }
    }
  });
  from.on('end', () => to.end());
}

/** Proxies `target` (http://host:port), counting; unpaced unless `bytesPerSecond` is given. */
export async function startCountingProxy(target: string, bytesPerSecond = 0): Promise<CountingProxy> {
  const { hostname, port } = new URL(target);
  let up = 0;
  let down = 0;
  let rate = bytesPerSecond;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    forward(
      client,
      upstream,
      (n) => (up += n),
      () => rate,
    );
    forward(
      upstream,
      client,
      (n) => (down += n),
      () => rate,
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port: own } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${own}`,
    get up() {
      return up;
    },
    get down() {
      return down;
    },
    setRate: (r) => (rate = r),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
