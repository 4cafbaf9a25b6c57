/**
 * The fleet run (issue #14): three `clo worker` processes with their own host ids and disks, 40
 * sagas started at once (20 on vcsim, 20 on the simulator: uploads, downloads, a sync), one worker
 * SIGKILLed while it transfers, the Temporal history service restarted while sagas are in flight,
 * the killed worker started again under its host id; then every saga's end checked from outside.
 * Written against a Temporal address and a vcsim, so the cluster test and a dev-server run of it
 * differ only in what they pass.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DownloadResult } from '../../client/download';
import { CloConfig } from '../../temporal.config';
import { startSimulator } from '../simulator';
import { settle, type SettledSaga } from './fleet-outcomes';
import { explainLeft, rowFor, sessionsLeft, type LeftSession, type Row } from './fleet-report';
import {
  DOWNLOAD_SIZES,
  MiB,
  SLOW_DOWNLOAD,
  openServer,
  startSagas,
  writeSources,
  type FleetServer,
  type Saga,
} from './fleet-sagas';
import { heartbeatBytes, waitFor } from './polling';
import { startWorkerFleet, type WorkerFleet } from './worker-fleet';
import { quickFailover } from './worker-process';

/** Each transfer connection's pace: the big files are still moving when the kill and the restart come. */
const PACE = 12 * MiB;
/** The simulator serves the download the kill waits on this slowly, at the source (no proxy buffers to lose). */
const SLOW = 6 * MiB;
/** Concurrent transfers the simulator's vCenter config allows the whole fleet (where supported). */
export const SIMULATOR_LIMIT = 4;

export interface FleetRunOptions {
  temporal: { address: string; namespace: string };
  vcsim: { url: string; datastore: string };
  /** Scratch directory: sources, disks, worker configs. */
  dir: string;
  /** Restarts the history service; absent on a dev server (one process). */
  restartHistory?: () => Promise<void>;
  log?: (line: string) => void;
}

export interface FleetRun {
  settled: SettledSaga[];
  rows: Row[];
  /** Sessions left ACTIVE once every saga ended, per vCenter (before the checks' own read-backs). */
  left: Record<string, LeftSession[]>;
  /** The host SIGKILLed, and the transfers it was running then. */
  victim: { host: number; transfers: number };
  /**
   * The simulator's download the kill interrupted: bytes the simulator sent for it beyond its size
   * (what the kill lost in flight; the retry resumed by Range from the part file).
   */
  slowDownloadResent: number;
  /** Sagas running when the history service was restarted (undefined: not restarted). */
  inFlightAtHistoryRestart?: number;
  /** `maxConcurrentTransfers` on the simulator's vCenter, as the workers' config has it. */
  simulatorLimit?: number;
  /** The simulator's most ACTIVE (update + download) sessions at once while the sagas ran. */
  simulatorPeakActive: number;
  /** How the simulator's ACTIVE sessions stood, sampled every 100 ms while sagas ran. */
  simulatorActiveSamples: number[];
  fleet: WorkerFleet;
  servers: FleetServer[];
  close(): Promise<void>;
}

/** The worker (and client) config: both vCenters through their proxies, the sources readable. */
function fleetConfig(opts: FleetRunOptions, servers: FleetServer[], sources: string): CloConfig {
  const vcenter = (s: FleetServer, extra: Record<string, unknown> = {}) => ({
    url: s.url,
    username: 'user',
    password: 'pass',
    apiFlavor: s.name === 'vcsim' ? 'rest' : 'auto',
    transferUrl: s.proxy.url,
    allowPlainHttp: true,
    ...extra,
  });
  const [vcsim, simulator] = servers as [FleetServer, FleetServer];
  return quickFailover(
    CloConfig.parse({
      temporal: { ...opts.temporal, taskQueue: `fleet-${randomUUID().slice(0, 8)}` },
      vcenters: {
        vcsim: vcenter(vcsim),
        simulator: vcenter(simulator, { maxConcurrentTransfers: SIMULATOR_LIMIT }),
      },
      timeouts: { keepAliveIntervalMs: '5s', heartbeatTimeoutMs: '10s' },
      worker: { readRoots: [sources] },
    }),
  );
}

export async function runFleet(opts: FleetRunOptions): Promise<FleetRun> {
  const log = opts.log ?? (() => undefined);
  /** What is open so far, closed last first (also when the set-up fails half-way). */
  const opened: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of opened.splice(0).reverse()) await c().catch(() => undefined);
  };
  const open = <T>(it: T, closer: (it: T) => Promise<unknown>): T => {
    opened.push(async () => closer(it));
    return it;
  };
  try {
    const sources = await writeSources(join(opts.dir, 'src'));
    const sim = open(await startSimulator({ username: 'user', password: 'pass' }), async (s) => s.close());
    const servers = [
      open(
        await openServer('vcsim', opts.vcsim.url, opts.vcsim.datastore, { bytesPerSecond: PACE }),
        async (s) => s.close(),
      ),
      open(
        await openServer('simulator', sim.url, sim.datastoreId, { sim, bytesPerSecond: PACE }),
        async (s) => s.close(),
      ),
    ];
    const [, simulator] = servers as [FleetServer, FleetServer];
    const config = fleetConfig(opts, servers, join(opts.dir, 'src'));
    const simulatorLimit = config.vcenters.simulator?.maxConcurrentTransfers;
    const connection = open(await Connection.connect({ address: opts.temporal.address }), async (c) =>
      c.close(),
    );
    const client = new Client({ connection, namespace: opts.temporal.namespace });
    await mkdir(join(opts.dir, 'fleet'));
    const fleet = open(
      await startWorkerFleet({ config, count: 3, hostIdPrefix: 'fleet', dir: join(opts.dir, 'fleet') }),
      async (f) => f.stop(5000),
    );
    log(`fleet up: ${fleet.hostIds.join(', ')} on ${config.temporal.taskQueue}`);

    sim.faults.limitRate({ bytesPerSecond: SLOW, fileName: SLOW_DOWNLOAD });
    // The seeding's sessions are not the fleet's: count from here.
    sim.stats.reset();
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(sim.stats.activeSessions), 100);
    const sagas: Saga[] = (
      await Promise.all(servers.map(async (s) => startSagas(client, config, s, sources, fleet)))
    ).flat();
    log(`${sagas.length} sagas started`);

    // The kill: the host downloading the simulator's slow item, once a quarter of it is on its disk.
    const slow = sagas.find((s) => s.server === simulator && s.kind === 'download' && s.name === 'd4')!;
    const slowSize = DOWNLOAD_SIZES[4]!;
    await waitFor(
      'a quarter of the slow download on its host',
      async () => (await heartbeatBytes(client, slow.handle, SLOW_DOWNLOAD)) > slowSize / 4,
      180_000,
    );
    const pending = (await slow.handle.describe()).raw.pendingActivities ?? [];
    const identity = pending.find((a) => a.activityType?.name === 'downloadFile')?.lastWorkerIdentity ?? '';
    const host = fleet.hostOf(identity);
    if (host < 0) throw new Error(`the slow download runs on ${identity}, not a fleet worker`);
    const transfers = await transfersOn(sagas, identity);
    await fleet.killOne(host);
    log(`SIGKILLed ${fleet.hostIds[host]} (${identity}) with ${transfers} transfers running`);

    let inFlightAtHistoryRestart: number | undefined;
    if (opts.restartHistory) {
      inFlightAtHistoryRestart = await running(sagas);
      const t0 = Date.now();
      await opts.restartHistory();
      log(`history restarted in ${Date.now() - t0} ms with ${inFlightAtHistoryRestart} sagas running`);
    }
    await fleet.restart(host);
    log(`${fleet.hostIds[host]} started again`);
    sim.faults.clear();

    await Promise.allSettled(sagas.map(async (s): Promise<unknown> => s.handle.result()));
    // Before the checks, whose read-backs open download sessions of their own.
    clearInterval(sampler);
    const simulatorPeakActive = sim.stats.peakActiveSessions;
    log('every saga ended');
    const slowSessions = ((await slow.handle.result().catch(() => undefined)) as DownloadResult | undefined)
      ?.sessionIds;
    const slowDownloadResent =
      (slowSessions ?? []).reduce((n, id) => n + sim.stats.bytesSent(id), 0) - slowSize;
    // Before the read-backs too: what the sagas left, not the checks.
    const found: Record<string, LeftSession[]> = {};
    for (const s of servers) found[s.name] = await sessionsLeft(s);
    const settled = await Promise.all(sagas.map(async (s) => settle(client, s, fleet)));
    const left = Object.fromEntries(servers.map((s) => [s.name, explainLeft(s, found[s.name]!, settled)]));
    return {
      settled,
      rows: servers.map((s) => rowFor(s, settled, left[s.name]!)),
      left,
      victim: { host, transfers },
      slowDownloadResent,
      inFlightAtHistoryRestart,
      simulatorLimit,
      simulatorPeakActive,
      simulatorActiveSamples: samples,
      fleet,
      servers,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Transfer activities (any saga's) that the worker `identity` is running now. */
async function transfersOn(sagas: Saga[], identity: string): Promise<number> {
  const counts = await Promise.all(
    sagas.map(async (s) => {
      const { raw } = await s.handle.describe();
      return (raw.pendingActivities ?? []).filter(
        (a) => a.lastWorkerIdentity === identity && /File$/.test(a.activityType?.name ?? ''),
      ).length;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Sagas still running. */
async function running(sagas: Saga[]): Promise<number> {
  const states = await Promise.all(sagas.map(async (s) => (await s.handle.describe()).status.name));
  return states.filter((n) => n === 'RUNNING').length;
}
