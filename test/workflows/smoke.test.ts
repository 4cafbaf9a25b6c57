import { WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { smokeWorkflow } from '../../workflows/smoke';
import { testConfig, withWorker } from '../stack/harness';

describe('smokeWorkflow on the real Temporal dev server and vcsim', () => {
  it('lists the libraries of the named vCenter through an activity', async () => {
    const config = testConfig();
    const result = await withWorker(config, async ({ client, taskQueue }) =>
      client.workflow.execute<typeof smokeWorkflow>('smokeWorkflow', {
        taskQueue,
        workflowId: `smoke-${randomUUID()}`,
        args: [{ vcenter: 'vcsim' }],
      }),
    );
    expect(result).toEqual({ vcenter: 'vcsim', libraryCount: expect.any(Number) });
  });

  it('fails at once, without retrying, when the input names no vCenter', async () => {
    const config = testConfig();
    await withWorker(config, async ({ client, taskQueue }) => {
      const err = await client.workflow
        .execute('smokeWorkflow', { taskQueue, workflowId: `smoke-${randomUUID()}`, args: [{ vcenter: '' }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
      expect(cause.type).toBe('InvalidInput');
      expect(cause.message).toContain('vcenter');
    });
  });

  it('fails non-retryably with the configured names when the vCenter is unknown', async () => {
    const config = testConfig();
    await withWorker(config, async ({ client, taskQueue }) => {
      const handle = await client.workflow.start('smokeWorkflow', {
        taskQueue,
        workflowId: `smoke-${randomUUID()}`,
        args: [{ vcenter: 'nowhere' }],
      });
      const err = await handle.result().catch((e: unknown) => e);
      const cause = ((err as WorkflowFailedError).cause as { cause?: { type?: string; message: string } })
        .cause;
      expect(cause?.type).toBe('ConfigError');
      expect(cause?.message).toContain('configured: vcsim');
      // One attempt only: ConfigError is permanent.
      const history = await handle.fetchHistory();
      const started = history.events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
      expect(started).toHaveLength(1);
      expect(started[0]?.activityTaskStartedEventAttributes?.attempt).toBe(1);
    });
  });
});
