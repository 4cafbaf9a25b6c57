import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import readline from 'node:readline';
import { simulatorControl } from './control-client';
import { RawClient } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Endpoint {
  url: string;
  datastore: string;
  pid: number;
  thumbprint?: string;
  cert_file?: string;
}

async function start(args: string[]): Promise<{ child: ChildProcess; endpoint: Endpoint }> {
  const child = spawn(TSX, [path.join(__dirname, 'main.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited early with ${code}`)));
  });
  lines.close();
  return { child, endpoint: JSON.parse(first) as Endpoint };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('simulator: main.ts', () => {
  it('prints {url, datastore, pid}, serves, and exits cleanly on SIGTERM', async () => {
    const { child, endpoint } = await start([
      '--port',
      '0',
      '--idle-timeout-ms',
      '60000',
      '--username',
      'u',
      '--password',
      'p',
    ]);
    try {
      expect(endpoint).toMatchObject({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        datastore: expect.any(String),
        pid: expect.any(Number),
      });
      const client = new RawClient(endpoint.url);
      expect((await client.login('u', 'wrong')).status).toBe(401);
      expect((await client.login('u', 'p')).status).toBe(200);
      expect(await client.createLibrary(endpoint.datastore)).toEqual(expect.any(String));
      expect((await simulatorControl(endpoint.url).info()).sessionIdleTimeoutMs).toBe(60000);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('serves HTTPS with --tls and reports the certificate thumbprint and file', async () => {
    const { child, endpoint } = await start(['--port', '0', '--tls']);
    try {
      expect(endpoint.url).toMatch(/^https:\/\//);
      expect(endpoint.thumbprint).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
      const ca = fs.readFileSync(endpoint.cert_file ?? '');
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(`${endpoint.url}/rest/com/vmware/cis/session`, {
          method: 'POST',
          ca,
          agent: false,
          headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });
});
