/**
 * The embedded default stack: a Temporal dev server whose history lives in a SQLite
 * file under the data directory, its Web UI, and vcsim. It also writes a config file
 * naming vcsim as the `default` vCenter, so `CLO_CONFIG_FILE=<file> clo ...` just works.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureTools } from './tools';
import { startTemporalDevServer, type RunningTemporal } from './temporal-dev-server';
import { startVcsim, type RunningVcsim } from './vcsim';

/** Options for {@link startDevStack}. */
export interface DevStackOptions {
  /** Where the SQLite history and the generated config live. @default .clo/dev */
  dataDir?: string;
  /** @default 7233 */
  temporalPort?: number;
  /** @default 8233 */
  uiPort?: number;
  /** @default 8989 (vcsim's customary port) */
  vcsimPort?: number;
}

export interface DevStack {
  temporal: RunningTemporal;
  vcsim: RunningVcsim;
  /** A clo config file pointing at this stack (vCenter name `default`). */
  configFile: string;
  /** The worker's read and write roots in that file: the working directory, the data directory, the temporary directory. */
  roots: string[];
  dataDir: string;
  stop(): Promise<void>;
}

export async function startDevStack(opts: DevStackOptions = {}): Promise<DevStack> {
  const dataDir = resolve(opts.dataDir ?? '.clo/dev');
  await mkdir(dataDir, { recursive: true });
  const tools = await ensureTools();
  const [temporal, vcsim] = await Promise.allSettled([
    startTemporalDevServer({
      bin: tools.temporal,
      port: opts.temporalPort ?? 7233,
      uiPort: opts.uiPort ?? 8233,
      dbFile: join(dataDir, 'temporal.sqlite'),
    }),
    startVcsim({ bin: tools.vcsim, listen: `127.0.0.1:${opts.vcsimPort ?? 8989}` }),
  ]);
  if (temporal.status === 'rejected' || vcsim.status === 'rejected') {
    await Promise.allSettled([
      temporal.status === 'fulfilled' ? temporal.value.stop() : undefined,
      vcsim.status === 'fulfilled' ? vcsim.value.stop() : undefined,
    ]);
    throw temporal.status === 'rejected' ? temporal.reason : (vcsim as PromiseRejectedResult).reason;
  }
  const configFile = join(dataDir, 'clo.json');
  // vcsim accepts any user name and password; these are the simulator's, not a secret. It
  // listens on plain HTTP, which the config refuses for a vCenter unless allowPlainHttp says so.
  // A worker reads and writes files only under its roots (docs/security.md). On a developer's
  // machine: where `clo dev` was started (`clo upload ./photon.ova`), the data directory (the
  // demo's files) and the temporary directory. A production worker names its own.
  const roots = [...new Set([process.cwd(), dataDir, tmpdir()])];
  const config = {
    temporal: { address: temporal.value.address, namespace: temporal.value.namespace },
    vcenters: {
      default: { url: vcsim.value.url, username: 'user', password: 'pass', allowPlainHttp: true },
    },
    worker: { readRoots: roots, writeRoots: roots },
  };
  await writeFile(configFile, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  return {
    temporal: temporal.value,
    vcsim: vcsim.value,
    configFile,
    roots,
    dataDir,
    stop: async () => {
      await Promise.allSettled([temporal.value.stop(), vcsim.value.stop()]);
    },
  };
}
