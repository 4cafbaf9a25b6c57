/**
 * Records the replay corpus (test/replay/histories): after a stack test run, lists the
 * closed workflows on the stack's Temporal server, classifies each history from its
 * events (test/replay/classify.ts) and keeps a few of the smallest of each workflow type
 * and scenario. Run by `npm run record-histories` (scripts/record-histories.sh), which
 * sets CLO_RECORD_HISTORIES so test/stack/global-teardown.ts calls {@link recordHistories}
 * before it stops the server. Existing histories are kept: they are runs of older code that
 * the current code must still replay. See docs/replay.md.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { classifyHistory, type HistoryClass, type JsonHistory, type Scenario } from '../test/replay/classify';
import { historyToJson } from '../test/replay/history-json';

/** One corpus file, as test/replay/histories/index.json lists it. */
export interface IndexEntry {
  workflowType: string;
  workflowId: string;
  runId: string;
  status: string;
  scenarios: Scenario[];
  events: number;
  recordedAt: string;
  /** The commit the recording ran on; `-dirty` when workflows/ had uncommitted changes. */
  gitCommit: string;
  /**
   * Why this history is no longer replayed, set by hand: only for a PINNED saga (upload,
   * download) whose incompatible change shipped as a new deployment version, so runs of the
   * old code finish on the old build (docs/replay.md). The file stays as a record.
   */
  retired?: string;
}
/** The corpus index: file (relative to the index) → what it holds. */
export type CorpusIndex = Record<string, IndexEntry>;

/** Options for {@link recordHistories}. */
export interface RecordOptions {
  temporalAddress: string;
  namespace: string;
  /** The bundle the stack's workers ran: histories completed by another default-id build are left out. */
  workflowBundlePath?: string;
  /** Corpus directory; index.json lives in it. */
  dir: string;
  /** Delete the existing corpus first instead of adding to it. @default false */
  replace?: boolean;
  /** Histories kept per (workflow type, scenario). @default 2 */
  perClass?: number;
}

/** Runs started on a deliberately different build (the rolling-deploy test's reordered saga). */
export function exclusionReason(c: HistoryClass, stackBuildId: string | undefined): string | undefined {
  if (c.status === 'running') return 'not closed';
  if (c.taskQueue.includes('reordered')) return `task queue ${c.taskQueue}`;
  if (c.memoKeys.includes('cloTestBuild')) return 'memo cloTestBuild';
  // A worker without an explicit build id reports `@temporalio/worker@<version>+<sha256 of its bundle>`.
  const other = c.buildIds.find((id) => id.startsWith('@temporalio/worker@') && id !== stackBuildId);
  if (stackBuildId && other) return `build ${other}`;
  return undefined;
}

/** The SDK's default build id for a worker running the bundle at `path`. */
async function defaultBuildId(path: string): Promise<string> {
  const { version } = JSON.parse(
    await readFile(require.resolve('@temporalio/worker/package.json'), 'utf8'),
  ) as { version: string };
  const sha = createHash('sha256')
    .update(await readFile(path, 'utf8'))
    .digest('hex');
  return `@temporalio/worker@${version}+${sha}`;
}

function gitCommit(root: string): string {
  // record-histories.sh --at REV runs in an exported copy without .git.
  if (process.env.CLO_RECORD_COMMIT) return process.env.CLO_RECORD_COMMIT;
  try {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'workflows'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** One event per line: small, and a diff or a grep shows whole events. */
function compactJson(history: JsonHistory): string {
  return `{"events":[\n${history.events.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`;
}

interface Candidate {
  workflowId: string;
  runId: string;
  cls: HistoryClass;
  text: string;
}

/**
 * Keeps, smallest first, each history that adds to a (type, scenario) class still short of
 * `perClass`, so the corpus covers every kind with the least bytes.
 */
export function selectRepresentatives<T extends { cls: HistoryClass; text: string }>(
  candidates: T[],
  perClass: number,
): T[] {
  const counts = new Map<string, number>();
  const kept: T[] = [];
  for (const c of [...candidates].sort((a, b) => a.text.length - b.text.length)) {
    const classes = [c.cls.workflowType, ...c.cls.scenarios.map((s) => `${c.cls.workflowType}:${s}`)];
    if (!classes.some((k) => (counts.get(k) ?? 0) < perClass)) continue;
    kept.push(c);
    for (const k of classes) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return kept;
}

/** Reads the corpus index; an absent one is empty. */
export async function readIndex(dir: string): Promise<CorpusIndex> {
  const file = join(dir, 'index.json');
  return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as CorpusIndex) : {};
}

/**
 * Classifies each history the index lists again and updates its `scenarios`: a scenario added
 * to classify.ts shows in the files recorded before it (and the replay test compares the two).
 * Returns the files whose scenarios changed.
 */
export async function reclassifyIndex(dir: string, index: CorpusIndex): Promise<string[]> {
  const changed: string[] = [];
  for (const [name, entry] of Object.entries(index)) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    const { scenarios } = classifyHistory(JSON.parse(await readFile(file, 'utf8')) as JsonHistory);
    if (scenarios.join() === entry.scenarios.join()) continue;
    entry.scenarios = scenarios;
    changed.push(name);
  }
  return changed;
}

/** Writes the index sorted by file name. */
async function writeIndex(dir: string, index: CorpusIndex): Promise<CorpusIndex> {
  const sorted = Object.fromEntries(Object.entries(index).sort(([a], [b]) => a.localeCompare(b)));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.json'), `${JSON.stringify(sorted, null, 2)}\n`);
  return sorted;
}

/** Records the stack's closed workflows into the corpus at `opts.dir`; returns the files it added. */
export async function recordHistories(opts: RecordOptions): Promise<string[]> {
  const root = join(__dirname, '..');
  const stackBuildId = opts.workflowBundlePath ? await defaultBuildId(opts.workflowBundlePath) : undefined;
  const connection = await Connection.connect({ address: opts.temporalAddress });
  const candidates: Candidate[] = [];
  const excluded = new Map<string, number>();
  try {
    const client = new Client({ connection, namespace: opts.namespace });
    for await (const wf of client.workflow.list({ query: 'ExecutionStatus != "Running"' })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const json = historyToJson(history);
      // Sealed by the payload codec (the Web UI codec test): replays only with that run's key.
      if (JSON.stringify(json).includes(Buffer.from('binary/encrypted').toString('base64'))) {
        excluded.set('encrypted payloads', (excluded.get('encrypted payloads') ?? 0) + 1);
        continue;
      }
      const cls = classifyHistory(json);
      const reason = exclusionReason(cls, stackBuildId);
      if (reason) {
        excluded.set(reason, (excluded.get(reason) ?? 0) + 1);
        continue;
      }
      candidates.push({ workflowId: wf.workflowId, runId: wf.runId, cls, text: compactJson(json) });
    }
  } finally {
    await connection.close();
  }

  const index = opts.replace ? {} : await readIndex(opts.dir);
  if (opts.replace) await rm(opts.dir, { recursive: true, force: true });
  const reclassified = await reclassifyIndex(opts.dir, index);
  if (reclassified.length) console.log(`[record-histories] scenarios updated: ${reclassified.join(', ')}`);
  const recordedAt = new Date().toISOString();
  const commit = gitCommit(root);
  const added: string[] = [];
  for (const c of selectRepresentatives(candidates, opts.perClass ?? 2)) {
    const name = `${c.cls.workflowType}/${c.cls.scenarios[0] ?? c.cls.status}-${c.runId.slice(-8)}.json`;
    if (index[name]) continue;
    await mkdir(dirname(join(opts.dir, name)), { recursive: true });
    await writeFile(join(opts.dir, name), c.text);
    index[name] = {
      workflowType: c.cls.workflowType,
      workflowId: c.workflowId,
      runId: c.runId,
      status: c.cls.status,
      scenarios: c.cls.scenarios,
      events: c.cls.events,
      recordedAt,
      gitCommit: commit,
    };
    added.push(name);
  }
  const sorted = await writeIndex(opts.dir, index);

  let bytes = 0;
  for (const name of Object.keys(sorted)) bytes += (await stat(join(opts.dir, name))).size;
  const skipped = [...excluded].map(([reason, n]) => `${n} × ${reason}`).join(', ') || 'none';
  console.log(
    `\n[record-histories] ${candidates.length} closed histories on the stack (left out: ${skipped}); ` +
      `added ${added.length} to ${opts.dir}, now ${Object.keys(sorted).length} files, ` +
      `${(bytes / 1024 / 1024).toFixed(2)} MiB`,
  );
  // What the stack produced, per class: how many were kept of how many seen.
  const seen = new Map<string, [number, number]>();
  const keptRuns = new Set(added.map((name) => index[name]!.runId));
  for (const c of candidates) {
    for (const k of [c.cls.workflowType, ...c.cls.scenarios.map((s) => `${c.cls.workflowType}:${s}`)]) {
      const [kept, all] = seen.get(k) ?? [0, 0];
      seen.set(k, [kept + (keptRuns.has(c.runId) ? 1 : 0), all + 1]);
    }
  }
  const classes = [...seen].sort(([a], [b]) => a.localeCompare(b));
  console.log(classes.map(([k, [kept, all]]) => `  ${k}: ${kept}/${all}`).join('\n'));
  if (bytes > 3 * 1024 * 1024) console.warn('[record-histories] the corpus is over 3 MiB: lower --per-class');
  return added;
}

// `npx tsx scripts/record-histories.ts --reclassify`: after a change to classify.ts, updates the
// scenarios index.json lists for the recorded files, without a stack (docs/replay.md).
if (require.main === module && process.argv[2] === '--reclassify') {
  const dir = join(__dirname, '..', 'test', 'replay', 'histories');
  void (async () => {
    const index = await readIndex(dir);
    const changed = await reclassifyIndex(dir, index);
    await writeIndex(dir, index);
    console.log(changed.length ? `scenarios updated: ${changed.join(', ')}` : 'index.json is up to date');
  })();
}
