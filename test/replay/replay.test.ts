/**
 * The replay corpus (test/replay/histories, recorded by `npm run record-histories`, see
 * docs/replay.md) replayed on the current workflow code: a deploy replays every running
 * saga's history on the new code, and any change in the order of its commands is a
 * determinism error that stalls the saga. The corpus must also keep covering every
 * workflow type and scenario, and a build with one command reordered must fail it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import * as workflows from '../../workflows';
import { buildWorkflowBundle } from '../../worker/workflow-bundle';
import { readIndex, type CorpusIndex } from '../../scripts/record-histories';
import { bundleReorderedWorkflows } from '../support/reordered-workflows';
import { classifyHistory, upsertedKeys, type JsonHistory, type Scenario } from './classify';
import { historyFromJson } from './history-json';

const DIR = join(__dirname, 'histories');

/**
 * What the stack suite produces and the corpus must therefore keep (see docs/replay.md).
 * Add to it when a test starts producing a new kind of run; never remove from it to make
 * a failing check pass.
 */
const REQUIRED: Record<string, Scenario[]> = {
  uploadLibraryItem: [
    'happy-path',
    'kill-and-resume',
    'activity-retry',
    'compensation',
    'failed',
    'cancelled',
    'session-restart',
    'take-over',
    'child',
    'input-rejected',
    'source-push',
    'source-pull',
    'source-relay',
    'certificate-review',
    'approval',
    'approved',
    'rejected',
    'approval-timeout',
    'permit-wait',
    'lease-lost',
    'vcenter-outage',
  ],
  downloadLibraryItem: [
    'happy-path',
    'kill-and-resume',
    'activity-retry',
    'compensation',
    'failed',
    'cancelled',
    'session-restart',
    'timer',
    'input-rejected',
    'permit-wait',
    'host-unavailable',
  ],
  syncLibrary: ['happy-path', 'activity-retry', 'failed', 'continue-as-new', 'child-workflows'],
  reapOrphanSessions: ['happy-path', 'scheduled'],
  smokeWorkflow: ['happy-path', 'failed', 'input-rejected'],
  transferPermits: ['happy-path', 'timer', 'continue-as-new'],
};

interface Recorded {
  file: string;
  workflowId: string;
  json: JsonHistory;
}

let index: CorpusIndex;
let corpus: Recorded[];

beforeAll(async () => {
  // A replay that fails logs its workflow task failure (core and SDK); the assertions say it better.
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Installed already in this process.
  }
  index = await readIndex(DIR);
  corpus = await Promise.all(
    Object.entries(index)
      .filter(([, entry]) => !entry.retired)
      .map(async ([file, entry]) => ({
        file,
        workflowId: entry.workflowId,
        json: JSON.parse(await readFile(join(DIR, file), 'utf8')) as JsonHistory,
      })),
  );
});

/** Replays `histories` on `code`; returns the failures as `file: error`. */
async function replayAll(code: string, histories: Recorded[]): Promise<Map<string, Error>> {
  const failures = new Map<string, Error>();
  const results = Worker.runReplayHistories(
    { workflowBundle: { code }, replayName: 'replay-corpus' },
    histories.map((h) => ({ workflowId: h.workflowId, history: historyFromJson(h.json) })),
  );
  let i = 0;
  for await (const result of results) {
    // One result per history, in order.
    const file = histories[i++]!.file;
    if (result.error) failures.set(file, result.error);
  }
  expect(i).toBe(histories.length);
  return failures;
}

function describeFailures(failures: Map<string, Error>): string {
  return [...failures].map(([file, err]) => `${file}: ${err.name}: ${err.message}`).join('\n');
}

describe('the replay corpus', () => {
  it('has an index entry whose kind matches each history file', () => {
    expect(corpus.length).toBeGreaterThan(0);
    for (const { file, json } of corpus) {
      const cls = classifyHistory(json);
      expect({ file, type: cls.workflowType, scenarios: cls.scenarios }).toEqual({
        file,
        type: index[file]!.workflowType,
        scenarios: index[file]!.scenarios,
      });
    }
  });

  it('covers every workflow type workflows/index.ts exports, and every scenario the stack suite produces', () => {
    const exported = Object.entries(workflows)
      .filter(([, v]) => typeof v === 'function' && v.constructor.name === 'AsyncFunction')
      .map(([name]) => name)
      .sort();
    expect(Object.keys(REQUIRED).sort()).toEqual(exported);
    const have = new Set(
      corpus.flatMap(({ json }) => {
        const cls = classifyHistory(json);
        return cls.scenarios.map((s) => `${cls.workflowType}:${s}`);
      }),
    );
    const missing = Object.entries(REQUIRED).flatMap(([type, scenarios]) =>
      scenarios.map((s) => `${type}:${s}`).filter((k) => !have.has(k)),
    );
    // Missing ones come back with `npm run record-histories` (which adds, never replaces).
    expect(missing).toEqual([]);
  });

  it('replays every recorded history on the current workflow code', async () => {
    const failures = await replayAll(await buildWorkflowBundle(), corpus);
    // Each name is a file under test/replay/histories; docs/replay.md says how to keep it replaying.
    expect(describeFailures(failures)).toBe('');
  }, 300_000);

  it('fails every upload history that reached a session on a build with one command of the saga reordered', async () => {
    // The reordered build moves the CloSessionId upsert behind the lease's start; a run that
    // failed before it created a session never reaches that code and replays as before.
    const uploads = corpus.filter(({ json }) => classifyHistory(json).workflowType === 'uploadLibraryItem');
    const reached = uploads.filter(({ json }) => upsertedKeys(json).has('CloSessionId')).map((u) => u.file);
    expect(reached.length).toBeGreaterThanOrEqual(10);
    const { code } = await bundleReorderedWorkflows();
    const failures = await replayAll(code, uploads);
    expect([...failures.keys()].sort()).toEqual(reached.sort());
    const notDeterminism = [...failures].filter(([, err]) => err.name !== 'DeterminismViolationError');
    expect(describeFailures(new Map(notDeterminism))).toBe('');
  }, 300_000);
});
