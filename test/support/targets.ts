/**
 * The two servers every saga test runs against: vcsim (VMware's simulator, the
 * independent peer) and our Content Library simulator (which enforces the documented
 * session rules and injects faults).
 */
import { startSimulator, type ContentLibrarySimulator } from '../simulator';
import { stackInfo } from '../stack/stack-info';

export interface Target {
  name: 'vcsim' | 'simulator';
  url: string;
  datastore: string;
  /** Present for the simulator only. */
  sim?: ContentLibrarySimulator;
  close(): Promise<void>;
}

export async function startTarget(
  name: Target['name'],
  opts: Parameters<typeof startSimulator>[0] = {},
): Promise<Target> {
  if (name === 'vcsim') {
    const { vcsim } = stackInfo();
    return { name, url: vcsim.url, datastore: vcsim.datastore, close: () => Promise.resolve() };
  }
  const sim = await startSimulator({ username: 'user', password: 'pass', ...opts });
  return { name, url: sim.url, datastore: sim.datastoreId, sim, close: async () => sim.close() };
}
