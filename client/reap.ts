/**
 * The typed API for running the orphan-session reaper once (`clo reap`). Each run gets
 * its own workflow id: two reapers at once are harmless (every step tolerates a session
 * already ended), and attaching to a running one would hide that it was started with
 * other parameters.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { ReapInput, ReapResult } from '../workflows/definitions/reap';
import type { reapOrphanSessions } from '../workflows/reap-orphan-sessions';
import { InvalidInputError } from './errors';

/** A fresh workflow id for a one-off reap of `vcenter`: `reap/<vcenter>/<time>-<random>[-dry-run]`. */
export function reapWorkflowId(vcenter: string, dryRun = false): string {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return `reap/${vcenter}/${at}-${randomBytes(3).toString('hex')}${dryRun ? '-dry-run' : ''}`;
}

/** Validates `input` with the workflow's own schema; InvalidInputError names the fields. */
export function prepareReapInput(input: ReapInput): z.infer<typeof ReapInput> {
  const parsed = ReapInput.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`invalid reaper input:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Starts a reap of `input.vcenter`. */
export async function startReap(
  client: Client,
  input: ReapInput,
  opts: { taskQueue: string },
): Promise<WorkflowHandle<typeof reapOrphanSessions>> {
  const prepared = prepareReapInput(input);
  return await client.workflow.start<typeof reapOrphanSessions>('reapOrphanSessions', {
    taskQueue: opts.taskQueue,
    workflowId: reapWorkflowId(prepared.vcenter, prepared.dryRun),
    args: [prepared],
    staticSummary: `${prepared.dryRun ? 'dry run: ' : ''}reap orphaned sessions on ${prepared.vcenter}`,
  });
}

/**
 * Waits for a reap and returns what it found and did. A run that could not end some
 * sessions fails with `ReapFailed`; its result (in the failure's details) is returned
 * too, with `counts.failed` > 0, so the caller can show it.
 */
export async function reapResult(handle: WorkflowHandle<typeof reapOrphanSessions>): Promise<ReapResult> {
  try {
    return await handle.result();
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === 'ReapFailed') {
      const parsed = ReapResult.safeParse(cause.details?.[0]);
      if (parsed.success) return parsed.data;
    }
    throw err;
  }
}

export type { ReapInput, ReapResult };
