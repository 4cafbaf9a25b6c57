/**
 * The commands `clo cluster up` tells a person to run next, and that `clo demo --address`
 * repeats when no worker polls: one place, so both say the same thing. Light on purpose (no
 * imports beyond node:path): client/commands/cluster.ts loads it for `clo cluster --help`.
 */
import { join, relative, resolve } from 'node:path';

/** Repository root, from this file: client → .., compiled dist/client → ../.. */
const ROOT = resolve(__dirname, __filename.endsWith('.js') ? '../..' : '..');

/** The cluster directory `clo cluster up` and `clo demo --address` use when none is named. */
export const DEFAULT_CLUSTER_DIR = '.clo/cluster';

/** The clo config file for the fleet's workers, inside a cluster directory. */
export function clusterConfigFile(dir: string): string {
  return join(resolve(dir), 'clo.json');
}

/** The host ids of the three workers `clo cluster up` suggests. */
export const FLEET_HOST_IDS = ['a', 'b', 'c'] as const;

/**
 * How to run clo from the current directory: `node bin/clo` from the repository root (the
 * README's way), else the absolute path. Not `npx clo`: the package does not link its own bin.
 */
export function cloCommand(cwd = process.cwd()): string {
  const bin = join(ROOT, 'bin', 'clo');
  const rel = relative(cwd, bin);
  return `node ${rel.startsWith('..') ? bin : rel}`;
}

/** `clo worker` on the fleet's config file with host id `hostId`. */
export function workerCommand(configFile: string, hostId: string, cwd = process.cwd()): string {
  return `CLO_CONFIG_FILE=${shellWord(configFile)} CLO_HOST_ID=${hostId} ${cloCommand(cwd)} worker`;
}

/**
 * `npm run demo -- --address ...`, with `--config` only when the demo would not find the file on
 * its own: npm runs the script from the repository root, where it looks for .clo/cluster/clo.json.
 */
export function demoCommand(address: string, namespace: string, configFile: string): string {
  const flags = [`--address ${address}`];
  if (namespace !== 'default') flags.push(`--namespace ${shellWord(namespace)}`);
  if (resolve(configFile) !== clusterConfigFile(join(ROOT, DEFAULT_CLUSTER_DIR)))
    flags.push(`--config ${shellWord(configFile)}`);
  return `npm run demo -- ${flags.join(' ')}`;
}

/** `word` quoted for a POSIX shell when it holds anything but safe characters. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
