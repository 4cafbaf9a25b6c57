/**
 * The servers every saga test runs against: vcsim (VMware's simulator, the independent
 * peer) and our Content Library simulator (which enforces the documented session rules
 * and injects faults), with the wire format the worker speaks to each: vcsim serves
 * /rest only; the simulator serves the vSphere 8 /api and /rest, so the saga runs on it
 * once per flavour (docs/design.md "Content Library client").
 */
import type { ApiFlavorSetting } from '../../activities/content-library';
import { startSimulator, type ContentLibrarySimulator } from '../simulator';
import { stackInfo } from '../stack/stack-info';

/** A server and the apiFlavor the worker's vCenter config names for it ('simulator': auto). */
export type TargetName = 'vcsim' | 'simulator' | 'simulator-api' | 'simulator-rest';
export type ServerName = 'vcsim' | 'simulator';

/**
 * Where the saga tests (happy, kill, fault) run: one list, so a new flavour or server is
 * added here and not in each file.
 */
export const SAGA_TARGETS = ['vcsim', 'simulator-api', 'simulator-rest'] as const;
/** The simulator in both flavours: for tests of behaviour only the simulator has (its faults). */
export const SIMULATOR_TARGETS = ['simulator-api', 'simulator-rest'] as const;

const FLAVOUR: Record<TargetName, ApiFlavorSetting> = {
  vcsim: 'rest',
  simulator: 'auto',
  'simulator-api': 'api',
  'simulator-rest': 'rest',
};

/** The server behind a target name (for test titles decided before the target starts). */
export function serverOf(name: TargetName): ServerName {
  return name === 'vcsim' ? 'vcsim' : 'simulator';
}

export interface Target {
  /** The server (tests compare it for server-specific behaviour). */
  name: ServerName;
  /** The name it was started by, flavour included. */
  label: TargetName;
  /** What the worker's vCenter config says for this target. */
  apiFlavor: ApiFlavorSetting;
  url: string;
  datastore: string;
  /** Present for the simulator only. */
  sim?: ContentLibrarySimulator;
  /** A `vcenters.<name>` config entry for this target: url, test credentials, apiFlavor, then `extra`. */
  vcenter(extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startTarget(
  label: TargetName,
  opts: Parameters<typeof startSimulator>[0] = {},
): Promise<Target> {
  const apiFlavor = FLAVOUR[label];
  const common = { label, apiFlavor };
  if (label === 'vcsim') {
    const { vcsim } = stackInfo();
    const url = vcsim.url;
    return {
      ...common,
      name: 'vcsim',
      url,
      datastore: vcsim.datastore,
      vcenter: (extra = {}) => ({ url, username: 'user', password: 'pass', apiFlavor, ...extra }),
      close: () => Promise.resolve(),
    };
  }
  const sim = await startSimulator({ username: 'user', password: 'pass', ...opts });
  return {
    ...common,
    name: 'simulator',
    url: sim.url,
    datastore: sim.datastoreId,
    sim,
    vcenter: (extra = {}) => ({ url: sim.url, username: 'user', password: 'pass', apiFlavor, ...extra }),
    close: async () => sim.close(),
  };
}
