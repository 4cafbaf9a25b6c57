import { rm } from 'node:fs/promises';
import type { ClusterTestInfo } from './cluster-info';

export default async function globalTeardown(): Promise<void> {
  const stop = (globalThis as Record<string, unknown>).__CLO_CLUSTER_STOP__ as
    (() => Promise<void>) | undefined;
  const raw = process.env.CLO_TEST_CLUSTER;
  try {
    await stop?.();
  } finally {
    // CLO_KEEP_CLUSTER_LOGS=1 keeps the services' logs (<dir>/cluster/logs) to read after a failure.
    if (raw && process.env.CLO_KEEP_CLUSTER_LOGS !== '1')
      await rm((JSON.parse(raw) as ClusterTestInfo).dir, { recursive: true, force: true });
  }
}
