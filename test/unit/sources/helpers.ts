/**
 * Shared bits of the source-layer tests: a scratch directory per suite and a way to
 * capture a rejection so its `code` and message can be asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a SourceError looks like from a test (compared by name, not instanceof: Jest isolates modules). */
export interface CaughtError {
  name: string;
  code?: string;
  message: string;
  path?: string;
  retryable?: boolean;
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<CaughtError> {
  try {
    await promise;
  } catch (err) {
    return err as CaughtError;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** The error `fn` throws; fails the test if it returns. */
export function thrownBy(fn: () => unknown): CaughtError {
  try {
    fn();
  } catch (err) {
    return err as CaughtError;
  }
  throw new Error('expected the call to throw, but it returned');
}

/** A fresh scratch directory for the suite, removed afterwards. */
export function useScratchDir(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `clo-${prefix}-`));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (!dir) throw new Error('scratch directory used outside a test');
    return dir;
  };
}
