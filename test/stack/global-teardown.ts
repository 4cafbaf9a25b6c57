import { rm } from 'node:fs/promises';
import type { StackInfo } from './stack-info';

export default async function globalTeardown(): Promise<void> {
  const stop = (globalThis as Record<string, unknown>).__CLO_STACK_STOP__ as
    (() => Promise<void>) | undefined;
  await stop?.();
  const raw = process.env.CLO_TEST_STACK;
  if (raw) await rm((JSON.parse(raw) as StackInfo).dir, { recursive: true, force: true });
}
