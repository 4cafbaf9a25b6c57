/**
 * A Content Library simulator that enforces what the API documentation says (rules.ts), speaking the
 * same /rest wire format as govmomi's vcsim and the vSphere 8 /api format, from one model, with fault
 * injection and observability for tests.
 *
 *   const sim = await startSimulator({ sessionIdleTimeoutMs: 500 });
 *   // log in at sim.url with Basic auth, create a library on sim.datastoreId, ...
 *   sim.faults.failNext({ operation: 'updatesession.complete', kind: 'service_unavailable' });
 *   await sim.close();
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { SimContext } from './context';
import { Faults } from './faults';
import { createListener } from './server';
import { Store } from './state';
import { Stats } from './stats';
import type { SessionSummary } from './stats';
import { isoTime } from './wire';

export { RULES } from './rules';
export type { RuleId, Rule } from './rules';
export { OPERATIONS } from './operations';
export type { OperationName } from './operations';
export type {
  Faults,
  FaultHandle,
  FaultDescription,
  ResetTransferOptions,
  FailNextOptions,
  LatencyOptions,
  FailPrepareOptions,
  CorruptChecksumOptions,
  HostileFileNameOptions,
  LimitRateOptions,
  PreviewWarningsOptions,
} from './faults';
export type { Stats, StatsSnapshot, SessionSummary } from './stats';
export type { VapiErrorKind, LocalizableMessage } from './errors';
export type { WarningType, WarningBehavior } from './state';
export type { PreviewInfo } from './model/preview';

/** Options for startSimulator. */
export interface StartSimulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Where stored and uploaded files live. @default a fresh mkdtemp directory, removed on close() */
  dataDir?: string;
  /** Idle time after which a session expires and is deleted (the docs' default is five minutes). @default 300000 */
  sessionIdleTimeoutMs?: number;
  /** Time prepare takes from PREPARE_REQUESTED to PREPARED (PREPARING from half of it). @default 100 */
  prepareDelayMs?: number;
  /** Required user name; when unset, any non-empty user and password log in (as with vcsim). */
  username?: string;
  /** Required password (with username). */
  password?: string;
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * PEM certificates signed-package previews trust: a `.cert` they vouch for (or that is one of them)
   * gets no UNTRUSTED_CERTIFICATE warning. @default none (every signer is untrusted, as on a vCenter
   * that has not been given the signer's CA)
   */
  trustedCertificates?: string[];
}

/** A running simulator. */
export interface ContentLibrarySimulator {
  /** Base URL, e.g. http://127.0.0.1:40123 (the /rest and /api paths hang below it). */
  readonly url: string;
  /** The datastore id library storage backings must name. */
  readonly datastoreId: string;
  /** SHA-1 thumbprint of the TLS certificate ("AA:BB:..."), when serving HTTPS. */
  readonly thumbprint?: string;
  readonly dataDir: string;
  /** Fault injection (also reachable over HTTP under /__sim/faults). */
  readonly faults: Faults;
  /** Call counts, bytes per session, sessions, concurrency (also GET /__sim/stats). */
  readonly stats: Stats;
  /** Drops every login token: the next call with one gets 401 (tests client re-login). */
  invalidateLogins(): void;
  /**
   * Changes the user name and password a login needs from now on (a rotated password); live
   * logins stay valid, as on vCenter, until invalidateLogins() or logout.
   */
  setCredentials(username: string, password: string): void;
  /** Changes the idle timeout for sessions from now on (their expiration_time follows). */
  setSessionIdleTimeout(ms: number): void;
  /** Changes how long prepare takes for prepares requested from now on. */
  setPrepareDelay(ms: number): void;
  /**
   * A network outage (a fault, not a documented rule): stops listening and drops every open
   * connection, so calls fail with ECONNREFUSED or a reset, while sessions and their expiry
   * timers run on as they would on a vCenter that is up but unreachable. Ends with endOutage().
   */
  startOutage(): Promise<void>;
  /** Listens again on the same port after startOutage(); every session and item is as it was. */
  endOutage(): Promise<void>;
  /** Stops serving, aborts transfers and timers, removes the data directory if it created it. */
  close(): Promise<void>;
}

const DATASTORE_ID = 'datastore-clsim';

/** Starts the simulator; resolves once it listens. */
export async function startSimulator(opts: StartSimulatorOptions = {}): Promise<ContentLibrarySimulator> {
  const host = opts.host ?? '127.0.0.1';
  const ownDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await fs.promises.mkdtemp(path.join(os.tmpdir(), 'clsim-')));
  fs.mkdirSync(dataDir, { recursive: true });
  const idleTimeoutMs = opts.sessionIdleTimeoutMs ?? 5 * 60_000;
  const store = new Store({ dataDir, idleTimeoutMs });

  const sessions = (): SessionSummary[] => [
    ...[...store.updateSessions.values(), ...store.downloadSessions.values()].map((s) => ({
      kind: s.kind,
      id: s.id,
      library_item_id: s.library_item_id,
      state: s.state,
      client_progress: s.client_progress,
      expiration_time: isoTime(store.expiresAt(s)),
    })),
    ...[...store.ended.values()].map((e) => ({
      kind: e.kind,
      id: e.id,
      library_item_id: e.library_item_id,
      state: e.state,
      ended: e.ended,
    })),
  ];
  const faults = new Faults({
    expireSession: (id) => {
      const up = store.updateSessions.get(id);
      const down = store.downloadSessions.get(id);
      if (up) store.endUpdateSession(up, 'expired');
      else if (down) store.endDownloadSession(down, 'expired');
      else throw new Error(`no live update or download session ${id}`);
    },
    invalidateLogins: () => store.logins.clear(),
  });
  const sim: SimContext = {
    store,
    faults,
    stats: new Stats(
      sessions,
      () => store.logins.size,
      () =>
        [...store.updateSessions.values(), ...store.downloadSessions.values()].filter(
          (s) => s.state === 'ACTIVE',
        ).length,
    ),
    url: '',
    thumbprint: opts.tls ? new X509Certificate(opts.tls.cert).fingerprint : undefined,
    datastoreId: DATASTORE_ID,
    username: opts.username,
    password: opts.password,
    prepareDelayMs: opts.prepareDelayMs ?? 100,
    trustedCertificates: (opts.trustedCertificates ?? []).map((pem) => new X509Certificate(pem)),
  };

  const listener = createListener(sim);
  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener)
    : http.createServer(listener);
  // Long transfers are the point; Node's default 5-minute requestTimeout would cut them.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // Transfer URIs must be reachable: a wildcard listener is advertised on loopback.
  const advertised = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  sim.url = `${opts.tls ? 'https' : 'http'}://${advertised.includes(':') ? `[${advertised}]` : advertised}:${port}`;

  const sweepEvery = (): number => Math.max(20, Math.min(1000, Math.floor(store.opts.idleTimeoutMs / 4)));
  let sweeper = setInterval(() => store.sweep(), sweepEvery());
  sweeper.unref();

  let closed: Promise<void> | undefined;
  return {
    url: sim.url,
    datastoreId: sim.datastoreId,
    thumbprint: sim.thumbprint,
    dataDir,
    faults,
    stats: sim.stats,
    invalidateLogins: () => faults.invalidateLogins(),
    setCredentials: (username, password) => {
      sim.username = username;
      sim.password = password;
    },
    setSessionIdleTimeout: (ms) => {
      store.opts.idleTimeoutMs = ms;
      clearInterval(sweeper);
      sweeper = setInterval(() => store.sweep(), sweepEvery());
      sweeper.unref();
    },
    setPrepareDelay: (ms) => {
      sim.prepareDelayMs = ms;
    },
    startOutage: async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
    endOutage: async () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    close: () =>
      (closed ??= (async () => {
        clearInterval(sweeper);
        store.shutdown();
        server.closeAllConnections();
        if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
        if (ownDataDir) await fs.promises.rm(dataDir, { recursive: true, force: true });
      })()),
  };
}
