/**
 * Locates the pinned Temporal CLI, vcsim and govc binaries, building them first if this
 * machine has never done so. scripts/install-tools.sh is the one source of truth for
 * versions and cache layout; this only runs it and reads its answer.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';

const Tools = z.object({
  temporal: z.string(),
  vcsim: z.string(),
  /** govc at the same govmomi version: the peer the benches measure clo against. */
  govc: z.string(),
  /** The Temporal server (one service per process) and its SQL schema tool: the cluster, client/cluster. Only with `cluster`. */
  temporalServer: z.string().optional(),
  temporalSqlTool: z.string().optional(),
  temporalVersion: z.string(),
  govmomiVersion: z.string(),
  temporalServerVersion: z.string().optional(),
});
export type Tools = z.infer<typeof Tools>;
const ClusterTools = Tools.required({
  temporalServer: true,
  temporalSqlTool: true,
  temporalServerVersion: true,
});
export type ClusterTools = z.infer<typeof ClusterTools>;

/** Repository root, found from this file: client/dev-stack → ../.., compiled dist/client/dev-stack → ../../.. */
export const REPO_ROOT = resolve(__dirname, __filename.endsWith('.js') ? '../../..' : '../..');

/** Builds (if needed) and returns the paths of the pinned tools. Build logs go to stderr. */
export async function ensureTools(): Promise<Tools> {
  return Tools.parse(await runInstallTools([]));
}

/**
 * The same plus the Temporal server and its schema tool (client/cluster): a first build of ~3 min
 * that the dev stack and the demo never need, so only the cluster asks for it.
 */
export async function ensureClusterTools(): Promise<ClusterTools> {
  return ClusterTools.parse(await runInstallTools(['--cluster']));
}

async function runInstallTools(flags: string[]): Promise<unknown> {
  const args = [resolve(REPO_ROOT, 'scripts/install-tools.sh'), ...flags];
  const { stdout } = await promisify(execFile)('bash', args, {
    maxBuffer: 1024 * 1024,
    // Builds print progress on stderr; let the user see it.
    env: process.env,
  }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`could not build the pinned tools: ${err.stderr?.trim() || err.message}`);
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
}
