import { rm } from 'node:fs/promises';
import type { StackInfo } from './stack-info';

export default async function globalTeardown(): Promise<void> {
  const stop = (globalThis as Record<string, unknown>).__CLO_STACK_STOP__ as
    (() => Promise<void>) | undefined;
  const raw = process.env.CLO_TEST_STACK;
  try {
    // `npm run record-histories` only: keep the run's histories before the server goes away.
    const recordTo = process.env.CLO_RECORD_HISTORIES;
    if (raw && recordTo) {
      const { recordHistories } = await import('../../scripts/record-histories');
      const info = JSON.parse(raw) as StackInfo;
      await recordHistories({
        temporalAddress: info.temporalAddress,
        namespace: info.namespace,
        workflowBundlePath: info.workflowBundlePath,
        dir: recordTo,
        replace: process.env.CLO_RECORD_REPLACE === '1',
        ...(process.env.CLO_RECORD_PER_CLASS ? { perClass: Number(process.env.CLO_RECORD_PER_CLASS) } : {}),
      });
    }
  } finally {
    await stop?.();
    if (raw) await rm((JSON.parse(raw) as StackInfo).dir, { recursive: true, force: true });
  }
}
