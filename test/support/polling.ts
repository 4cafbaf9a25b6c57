/** Waiting on a running saga from a test: a condition to hold, a transfer's live byte count. */
import type { Client, WorkflowHandle } from '@temporalio/client';

/** Polls `check` every 50 ms until it holds, or fails naming `what` after `ms`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Bytes the pending transfer of file `name` (upload or download) has reported in its
 * heartbeat details; 0 when none is pending.
 */
export async function heartbeatBytes(client: Client, handle: WorkflowHandle, name: string): Promise<number> {
  const { raw } = await handle.describe();
  for (const pending of raw.pendingActivities ?? []) {
    const payload = pending.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    const detail = client.options.loadedDataConverter.payloadConverter.fromPayload<{
      name?: string;
      bytesSent?: number;
    }>(payload);
    if (detail.name === name) return detail.bytesSent ?? 0;
  }
  return 0;
}
