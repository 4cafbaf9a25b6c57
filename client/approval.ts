/**
 * The typed API to decide on an upload that awaits approval of a signed OVF/OVA's certificate
 * (workflows/lib/approval.ts): the `approve` and `reject` Temporal Updates, for `clo approve`,
 * `clo reject` and platform services. The saga's validator refuses what does not apply (a
 * warning that is not there, a saga that is not waiting), and nothing changes then.
 */
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import {
  ApproveArgs,
  approveUpdate,
  RejectArgs,
  rejectUpdate,
  type ApproveResult,
  type RejectResult,
} from '../workflows/definitions/approval';
import { ConflictError, InvalidInputError } from './errors';
import { describeWorkflow } from './executions';

/**
 * The saga refused an Update: `type` is its failure type (ApprovalRefused: not among the
 * warnings or invalid arguments; NotAwaitingApproval), which sets the CLI's exit code.
 */
export class UpdateRefusedError extends Error {
  override readonly name = 'UpdateRefusedError';
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Accepts warnings of the upload `workflowId` awaits approval on (`accept` omitted: all of them). */
export async function approveUpload(
  client: Client,
  workflowId: string,
  args: ApproveArgs,
): Promise<ApproveResult> {
  const parsed = parseArgs(ApproveArgs, args, 'approval');
  const handle = await runningUpload(client, workflowId);
  return await refusals(async () => handle.executeUpdate(approveUpdate, { args: [parsed] }));
}

/** Rejects the certificate: the upload fails its session, deletes an item it created, and fails. */
export async function rejectUpload(
  client: Client,
  workflowId: string,
  args: RejectArgs,
): Promise<RejectResult> {
  const parsed = parseArgs(RejectArgs, args, 'rejection');
  const handle = await runningUpload(client, workflowId);
  return await refusals(async () => handle.executeUpdate(rejectUpdate, { args: [parsed] }));
}

function parseArgs<S extends z.ZodType>(schema: S, args: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(args);
  if (!parsed.success) throw new InvalidInputError(`invalid ${what}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

async function runningUpload(client: Client, workflowId: string) {
  const { handle, info } = await describeWorkflow(client, workflowId);
  if (info.type !== 'uploadLibraryItem')
    throw new InvalidInputError(`${workflowId} is a ${info.type}; only uploads wait for approval`);
  if (info.status.name !== 'RUNNING')
    throw new ConflictError(`${workflowId} is not running (${info.status.name}); there is nothing to decide`);
  return handle;
}

/** An Update the validator refused, as one error naming the saga's reason (not "Workflow Update failed"). */
async function refusals<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause as { type?: string | null; message?: string } | undefined;
      throw new UpdateRefusedError(cause?.type ?? 'UpdateRefused', cause?.message ?? err.message);
    }
    throw err;
  }
}
