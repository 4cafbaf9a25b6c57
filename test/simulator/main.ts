/**
 * Runs the simulator as a process, like tools/vcsim does for vcsim:
 *
 *   npx tsx test/simulator/main.ts --port 0 [--host 127.0.0.1] [--data-dir DIR] [--idle-timeout-ms N]
 *     [--prepare-delay-ms N] [--username U --password P] [--tls]
 *
 * Prints one JSON line {url, datastore, pid[, thumbprint, cert_file]} and serves until SIGTERM/SIGINT.
 * --tls serves HTTPS with a fresh self-signed certificate (written to a temp file for clients).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from './index';
import type { StartSimulatorOptions } from './index';

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

async function selfSignedTls(): Promise<{ key: string; cert: string; certFile: string }> {
  // selfsigned is a devDependency of the project; this entry point is a test tool.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const certFile = path.join(await fs.promises.mkdtemp(path.join(os.tmpdir(), 'clsim-cert-')), 'cert.pem');
  await fs.promises.writeFile(certFile, pems.cert);
  return { key: pems.private, cert: pems.cert, certFile };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'idle-timeout-ms': { type: 'string' },
      'prepare-delay-ms': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      tls: { type: 'boolean', default: false },
    },
  });
  const tls = values.tls ? await selfSignedTls() : undefined;
  const opts: StartSimulatorOptions = {
    port: integer('port', values.port),
    host: values.host,
    dataDir: values['data-dir'],
    sessionIdleTimeoutMs: integer('idle-timeout-ms', values['idle-timeout-ms']),
    prepareDelayMs: integer('prepare-delay-ms', values['prepare-delay-ms']),
    username: values.username,
    password: values.password,
    tls: tls ? { key: tls.key, cert: tls.cert } : undefined,
  };
  const sim = await startSimulator(opts);
  process.stdout.write(
    `${JSON.stringify({ url: sim.url, datastore: sim.datastoreId, pid: process.pid, ...(sim.thumbprint ? { thumbprint: sim.thumbprint, cert_file: tls?.certFile } : {}) })}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  try {
    await sim.close();
  } finally {
    if (tls) await fs.promises.rm(path.dirname(tls.certFile), { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
