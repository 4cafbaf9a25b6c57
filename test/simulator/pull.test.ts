import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { generate } from 'selfsigned';
import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import type { RawClient, UpdateFileInfo } from './helpers';
import { expectVapiError, fixture, sha1, sleep } from './helpers';

const PAYLOAD = Buffer.from('pulled content '.repeat(1000));

/** A source server: /ok serves PAYLOAD, /slow dribbles it, anything else 404. */
function sourceHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/ok') {
    res.end(PAYLOAD);
  } else if (req.url === '/slow') {
    res.writeHead(200, { 'content-length': String(PAYLOAD.length) });
    res.write(PAYLOAD.subarray(0, 100));
    const t = setTimeout(() => res.end(PAYLOAD.subarray(100)), 400);
    res.on('close', () => clearTimeout(t));
  } else if (req.url === '/moved') {
    res.writeHead(302, { location: '/ok' }).end();
  } else if (req.url === '/moved-away') {
    res.writeHead(302, { location: '/gone?sig=abc' }).end();
  } else {
    res.writeHead(404).end('nope');
  }
}

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

describe('simulator: PULL sources', () => {
  let sim: ContentLibrarySimulator;
  let httpServer: http.Server;
  let httpsServer: https.Server;
  let httpBase: string;
  let httpsBase: string;
  let thumbprint: string;

  beforeAll(async () => {
    sim = await startSimulator();
    httpServer = http.createServer(sourceHandler);
    httpBase = `http://127.0.0.1:${await listen(httpServer)}`;
    const pems = await generate([{ name: 'commonName', value: 'source.test' }], {
      keyType: 'ec',
      algorithm: 'sha256',
    });
    httpsServer = https.createServer({ key: pems.private, cert: pems.cert }, sourceHandler);
    httpsBase = `https://127.0.0.1:${await listen(httpsServer)}`;
    thumbprint = new X509Certificate(pems.cert).fingerprint;
  });
  afterAll(async () => {
    httpServer.closeAllConnections();
    httpsServer.closeAllConnections();
    await Promise.all([
      new Promise((r) => httpServer.close(r)),
      new Promise((r) => httpsServer.close(r)),
      sim.close(),
    ]);
  });

  async function pull(
    spec: Record<string, unknown>,
  ): Promise<{ client: RawClient; sessionId: string; itemId: string; info: UpdateFileInfo }> {
    const { client, itemId } = await fixture(sim);
    const sessionId = ((await client.createUpdateSession(itemId)).body as { value: string }).value;
    const res = await client.addFile(sessionId, { name: 'p.bin', source_type: 'PULL', ...spec });
    expect(res.status).toBe(200);
    return { client, sessionId, itemId, info: (res.body as { value: UpdateFileInfo }).value };
  }
  async function settle(client: RawClient, sessionId: string): Promise<UpdateFileInfo> {
    for (let i = 0; i < 200; i++) {
      const f = await client.sessionFile(sessionId, 'p.bin');
      if (f.status !== 'TRANSFERRING') return f;
      await sleep(10);
    }
    throw new Error('pull did not settle');
  }

  it('fetches an http source, verifies size and checksum, and reaches READY', async () => {
    const { client, sessionId, info } = await pull({
      source_endpoint: { uri: `${httpBase}/ok` },
      size: PAYLOAD.length,
      checksum_info: { checksum: sha1(PAYLOAD) },
    });
    expect(info.status).toBe('TRANSFERRING');
    expect(await settle(client, sessionId)).toMatchObject({
      status: 'READY',
      bytes_transferred: PAYLOAD.length,
    });
    expect(sim.stats.bytesReceived(sessionId)).toBe(PAYLOAD.length);
  });

  it('marks ERROR on a checksum mismatch and on an HTTP error status', async () => {
    const a = await pull({
      source_endpoint: { uri: `${httpBase}/ok` },
      checksum_info: { algorithm: 'SHA1', checksum: sha1('x') },
    });
    expect((await settle(a.client, a.sessionId)).error_message?.default_message).toMatch(/checksum mismatch/);
    const b = await pull({ source_endpoint: { uri: `${httpBase}/missing` } });
    const f = await settle(b.client, b.sessionId);
    expect(f.status).toBe('ERROR');
    expect(f.error_message?.default_message).toMatch(/HTTP 404/);
  });

  it('follows redirects, and names the URL it fetched last when that fails', async () => {
    const a = await pull({ source_endpoint: { uri: `${httpBase}/moved` } });
    expect((await settle(a.client, a.sessionId)).status).toBe('READY');
    const b = await pull({ source_endpoint: { uri: `${httpBase}/moved-away` } });
    expect((await settle(b.client, b.sessionId)).error_message?.default_message).toContain(
      `source ${httpBase}/gone?sig=abc answered HTTP 404`,
    );
  });

  it('accepts a self-signed https source only with the matching ssl_certificate_thumbprint', async () => {
    const good = await pull({
      source_endpoint: { uri: `${httpsBase}/ok`, ssl_certificate_thumbprint: thumbprint },
    });
    expect((await settle(good.client, good.sessionId)).status).toBe('READY');
    const wrong = await pull({
      source_endpoint: { uri: `${httpsBase}/ok`, ssl_certificate_thumbprint: '00'.repeat(20) },
    });
    expect((await settle(wrong.client, wrong.sessionId)).error_message?.default_message).toMatch(
      /thumbprint mismatch/,
    );
    const none = await pull({ source_endpoint: { uri: `${httpsBase}/ok` } });
    const f = await settle(none.client, none.sessionId);
    expect(f.status).toBe('ERROR');
    expect(f.error_message?.default_message).toMatch(/self[- ]signed|certificate/i);
  });

  it('reads file:// sources', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsim-src-'));
    try {
      const file = path.join(dir, 'src.bin');
      fs.writeFileSync(file, PAYLOAD);
      const { client, sessionId } = await pull({ source_endpoint: { uri: pathToFileURL(file).href } });
      expect((await settle(client, sessionId)).status).toBe('READY');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('complete returns while a PULL is running and the session becomes DONE when it ends', async () => {
    const { client, sessionId, itemId } = await pull({ source_endpoint: { uri: `${httpBase}/slow` } });
    expect((await client.updateSessionAction(sessionId, 'complete')).status).toBe(200);
    const during = ((await client.getUpdateSession(sessionId)).body as { value: { state: string } }).value
      .state;
    expect(during).toBe('ACTIVE');
    expectVapiError(
      await client.updateSessionAction(sessionId, 'complete'),
      400,
      'not_allowed_in_current_state',
      'US_COMPLETE_ACTIVE',
    );
    let state = during;
    for (let i = 0; i < 100 && state === 'ACTIVE'; i++) {
      await sleep(20);
      state = ((await client.getUpdateSession(sessionId)).body as { value: { state: string } }).value.state;
    }
    expect(state).toBe('DONE');
    expect((await client.listItemFiles(itemId)).map((f) => [f.name, f.size])).toEqual([
      ['p.bin', PAYLOAD.length],
    ]);
  });

  it('a PULL that fails after complete puts the session in ERROR', async () => {
    const { client, sessionId } = await pull({ source_endpoint: { uri: `${httpBase}/slow` }, size: 1 });
    await client.updateSessionAction(sessionId, 'complete');
    let s = { state: 'ACTIVE', error_message: { default_message: '' } };
    for (let i = 0; i < 100 && s.state === 'ACTIVE'; i++) {
      await sleep(20);
      s = ((await client.getUpdateSession(sessionId)).body as { value: typeof s }).value;
    }
    expect(s.state).toBe('ERROR');
    expect(s.error_message.default_message).toMatch(/size mismatch/);
  });

  it('cancel aborts a running PULL', async () => {
    const { client, sessionId } = await pull({ source_endpoint: { uri: `${httpBase}/slow` } });
    await sleep(50);
    await client.updateSessionAction(sessionId, 'cancel');
    await sleep(500);
    expect(
      ((await client.getUpdateSession(sessionId)).body as { value: { state: string } }).value.state,
    ).toBe('CANCELED');
    // The source would have sent the rest 400 ms in; the aborted pull never received it.
    expect(sim.stats.bytesReceived(sessionId)).toBe(100);
    expect((await client.sessionFile(sessionId, 'p.bin')).bytes_transferred).toBe(100);
  });
});
