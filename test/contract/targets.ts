/**
 * The two servers the client contract runs against: vcsim (VMware's own
 * simulator, started once per run by the stack's global setup) and our
 * Content Library simulator (test/simulator), which follows the documented
 * behaviour. `departs` names, per documented behaviour, whether the server does
 * something else instead; the suite then says so in the test name and checks
 * what the server does.
 */
import type { ApiFlavor, ApiFlavorSetting } from '../../activities/content-library';
import { startSimulator } from '../simulator';
import { stackInfo } from '../stack/stack-info';
import { rawStatus, SESSION_PATH } from './helpers';

/** Documented behaviours a server may depart from (true = departs). */
export interface Departures {
  /** A repeated client_token makes a new session instead of returning the first. */
  clientToken: boolean;
  /** A second update session on an item is allowed: no ResourceBusy. */
  resourceBusy: boolean;
  /** No NotAllowedInCurrentState: CANCELED sessions complete, ACTIVE ones delete. */
  stateChecks: boolean;
  /** Sessions get a fixed one-hour lease; idleness never expires them. */
  expiry: boolean;
  /** PUSH files stay WAITING_FOR_TRANSFER, bytes_transferred 0, after a successful PUT. */
  pushStatus: boolean;
  /** PULL files reach READY with bytes_transferred still 0. */
  pullProgress: boolean;
  /** Range is ignored on downloads: 200 and the whole file. */
  range: boolean;
  /** Update-session file remove deletes the whole session. */
  fileRemoveDeletesSession: boolean;
  /** Download-session cancel and fail delete the session. */
  downloadCancelDeletes: boolean;
  /** prepare answers PREPARED at once. */
  prepareImmediate: boolean;
  /** prepare ignores DIRECT and gives the HTTP data URL. */
  directEndpoint: boolean;
  /** complete sets DONE from a background task (poll for it). */
  completeAsync: boolean;
  /** Session lists ignore the library_item_id filter (and accept unknown items). */
  listFilter: boolean;
  /** keep-alive ignores client_progress. */
  keepAliveProgress: boolean;
  /** The item content_version does not increase on complete. */
  contentVersion: boolean;
  /** The item size stays 0 whatever files it holds. */
  itemSize: boolean;
  /** Item files carry no checksum_info. */
  itemChecksum: boolean;
  /** validate does not report PUSH files not yet uploaded as missing. */
  validateMissing: boolean;
  /** A PUT lands in the item at once (before complete, and even if the session is canceled). */
  visibleBeforeComplete: boolean;
  /** fail sets ERROR without the client's error message. */
  failMessage: boolean;
  /** Session file get of an unknown name answers 200 without a value (and download prepare of it answers PREPARED). */
  unknownFileName: boolean;
  /** Update-session create on an unknown item crashes the handler (reset connection) instead of NotFound. */
  unknownItemCrash: boolean;
  /** Any non-empty user name and password log in. */
  anyCredentials: boolean;
}

/** A running server as the suite sees it. */
export interface TargetEnv {
  url: string;
  username: string;
  password: string;
  /** Datastore id that library storage backings must name. */
  datastore: string;
  /** Ends the login behind `token` on the server, behind the client's back. */
  dropLogin(token: string): Promise<void>;
  /** Shortens the session idle timeout (simulator only); returns the restore function. */
  setSessionIdleTimeout?(ms: number): () => void;
  close(): Promise<void>;
}

/** A server to run the contract against. */
export interface Target {
  /** Wire formats the server speaks (vcsim: `/rest` only; the simulator both). */
  serves: readonly ApiFlavor[];
  /** How `dropLogin` does it, for test names. */
  dropLoginHow: string;
  departs: Departures;
  start(): Promise<TargetEnv>;
}

/** Every departure below was checked against vcsim (govmomi v0.56.0, `vapi/simulator/simulator.go`) by this suite. */
const VCSIM_DEPARTURES: Departures = {
  clientToken: true,
  resourceBusy: true,
  stateChecks: true,
  expiry: true,
  pushStatus: true,
  pullProgress: true,
  range: true,
  fileRemoveDeletesSession: true,
  downloadCancelDeletes: true,
  prepareImmediate: true,
  directEndpoint: true,
  completeAsync: true,
  listFilter: true,
  keepAliveProgress: true,
  contentVersion: true,
  itemSize: true,
  itemChecksum: true,
  validateMissing: true,
  visibleBeforeComplete: true,
  failMessage: true,
  unknownFileName: true,
  unknownItemCrash: true,
  anyCredentials: true,
};

const DOCUMENTED: Departures = Object.fromEntries(
  Object.keys(VCSIM_DEPARTURES).map((k) => [k, false]),
) as unknown as Departures;

export const vcsimTarget: Target = {
  serves: ['rest'],
  dropLoginHow: 'DELETE /cis/session with its token',
  departs: VCSIM_DEPARTURES,
  start: () => {
    const { url, datastore } = stackInfo().vcsim;
    return Promise.resolve({
      url,
      datastore,
      username: 'user',
      password: 'pass',
      dropLogin: async (token: string) => {
        const status = await rawStatus(url, 'DELETE', SESSION_PATH, token);
        if (status !== 200) throw new Error(`vcsim logout answered ${status}`);
      },
      close: () => Promise.resolve(),
    });
  },
};

export const simulatorTarget: Target = {
  serves: ['rest', 'api'],
  dropLoginHow: "the simulator's invalidateLogins()",
  departs: DOCUMENTED,
  start: async () => {
    const sim = await startSimulator({ username: 'user', password: 'pass' });
    return {
      url: sim.url,
      datastore: sim.datastoreId,
      username: 'user',
      password: 'pass',
      dropLogin: () => {
        sim.invalidateLogins();
        return Promise.resolve();
      },
      setSessionIdleTimeout: (ms: number) => {
        sim.setSessionIdleTimeout(ms);
        return () => sim.setSessionIdleTimeout(5 * 60_000);
      },
      close: () => sim.close(),
    };
  },
};

/**
 * Every (server, flavour) pair the suite runs: each flavour a server serves, and `auto` against
 * both kinds of server (it must settle on `/rest` on vcsim and on `/api` on the simulator).
 */
export const CONTRACT_RUNS: Array<[name: string, target: Target, apiFlavor: ApiFlavorSetting]> = [
  ['vcsim, rest', vcsimTarget, 'rest'],
  ['vcsim, auto', vcsimTarget, 'auto'],
  ['simulator, rest', simulatorTarget, 'rest'],
  ['simulator, api', simulatorTarget, 'api'],
  ['simulator, auto', simulatorTarget, 'auto'],
];

/** The flavour a client with `setting` ends up speaking to `target`. */
export function resolvedFlavor(target: Target, setting: ApiFlavorSetting): ApiFlavor {
  if (setting !== 'auto') return setting;
  return target.serves.includes('api') ? 'api' : 'rest';
}
