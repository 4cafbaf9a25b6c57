import { exclusionReason, selectRepresentatives } from '../../scripts/record-histories';
import type { HistoryClass } from './classify';

const STACK = '@temporalio/worker@1.24.0+aaaa';
const run = (over: Partial<HistoryClass>): HistoryClass => ({
  workflowType: 'uploadLibraryItem',
  taskQueue: 'test-1',
  status: 'completed',
  scenarios: ['happy-path'],
  buildIds: [STACK],
  memoKeys: [],
  events: 20,
  ...over,
});

describe('record-histories', () => {
  it('leaves out runs on a deliberately different build, and runs still open', () => {
    expect(exclusionReason(run({}), STACK)).toBeUndefined();
    // An explicit build id (a versioned worker) is not the SDK default: kept.
    expect(exclusionReason(run({ buildIds: ['build-a'] }), STACK)).toBeUndefined();
    expect(exclusionReason(run({ taskQueue: 'deploy-reordered-1' }), STACK)).toMatch(/task queue/);
    expect(exclusionReason(run({ memoKeys: ['cloTestBuild'] }), STACK)).toMatch(/cloTestBuild/);
    expect(exclusionReason(run({ buildIds: ['@temporalio/worker@1.24.0+bbbb'] }), STACK)).toMatch(/build/);
    expect(exclusionReason(run({ status: 'running' }), STACK)).toMatch(/not closed/);
  });

  it('keeps the smallest histories of each (type, scenario) class, up to the limit', () => {
    const c = (n: number, scenarios: HistoryClass['scenarios']) => ({
      cls: run({ scenarios }),
      text: 'x'.repeat(n),
    });
    const kept = selectRepresentatives(
      [c(50, ['happy-path']), c(10, ['happy-path']), c(20, ['happy-path']), c(900, ['take-over'])],
      2,
    );
    expect(kept.map((k) => k.text.length)).toEqual([10, 20, 900]);
  });
});
