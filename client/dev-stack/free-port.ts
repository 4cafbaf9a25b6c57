import { createServer } from 'node:net';

/** Asks the kernel for a free loopback port. Another process could take it before we bind; callers retry. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
