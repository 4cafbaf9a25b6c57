/**
 * The Jest runner of the `unit` and `stack` projects: test files run two at a time (most of a
 * stack test's time is waiting on heartbeat timeouts, failovers and timers, not CPU), then the
 * files whose docblock says `@serial` run one by one, alone on the machine and the stack.
 *
 * A stack test file must therefore not assume it is alone on vcsim, the Temporal dev server or
 * the machine: it counts and sweeps only what it made (its own library, item, task queue,
 * simulator), never global lists. A file that truly needs the machine to itself (a timing
 * margin a busy machine breaks) says so with `@serial <why>` in its first comment block.
 *
 * CLO_TEST_WORKERS sets how many files run at once (default 2); `--runInBand` runs all in band.
 * Jest's own --maxWorkers is left alone: on a 2-core machine it is 1, which would run in band.
 */
import { readFileSync } from 'node:fs';
import TestRunner, {
  type Config,
  type Test,
  type TestRunnerContext,
  type TestRunnerOptions,
  type TestWatcher,
} from 'jest-runner';

/** The pragma a file's first comment block carries to run after the others, alone. */
const SERIAL = /^\s*\*\s*@serial\b/m;

function runsAlone(test: Test): boolean {
  const source = readFileSync(test.path, 'utf8');
  const docblock = /^\s*\/\*\*[\s\S]*?\*\//.exec(source);
  return docblock !== null && SERIAL.test(docblock[0]);
}

function workers(globalConfig: Config.GlobalConfig): number {
  if (globalConfig.runInBand) return 1;
  const raw = process.env.CLO_TEST_WORKERS;
  if (raw === undefined || raw === '') return 2;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`CLO_TEST_WORKERS must be a whole number >= 1 (got ${raw}); unset it for 2`);
  return n;
}

export default class StackRunner extends TestRunner {
  private readonly parallel: boolean;

  constructor(globalConfig: Config.GlobalConfig, context: TestRunnerContext) {
    const n = workers(globalConfig);
    super({ ...globalConfig, maxWorkers: n }, context);
    // --detectOpenHandles only works in band.
    this.parallel = n > 1 && !globalConfig.detectOpenHandles;
  }

  override async runTests(tests: Test[], watcher: TestWatcher, options: TestRunnerOptions): Promise<void> {
    const alone = tests.filter(runsAlone);
    const shared = tests.filter((t) => !alone.includes(t));
    // One file is quicker in band than in a worker it must start.
    if (shared.length > 0)
      await super.runTests(shared, watcher, { serial: !this.parallel || shared.length < 2 });
    if (alone.length > 0 && !watcher.isInterrupted())
      await super.runTests(alone, watcher, { ...options, serial: true });
  }
}
