/**
 * Makes a fresh cluster usable by clo and proves it: registers the namespace and clo's
 * search attributes (SQL visibility keeps custom attributes per namespace), then runs one
 * workflow end to end by hand (start, poll its workflow task, complete it) and finds it by a
 * search attribute through visibility. That exercises frontend, history, matching and the
 * PostgreSQL visibility store: once it passes, a worker's saga can run.
 */
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { defaultPayloadConverter, type SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES, PHASE } from '../../workflows/definitions/search-attributes';

const ALREADY_EXISTS = 6;

/** clo's search attribute types in the operator API's enum. */
const INDEXED_VALUE_TYPES: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

/** Retries `step` (a cluster still forming its rings answers "not enough hosts", "namespace not found", ...). */
async function retry<T>(what: string, deadline: number, step: () => Promise<T>): Promise<T> {
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await step();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `cluster not ready: ${what} kept failing: ${(last as Error | undefined)?.message ?? 'timed out'}`,
  );
}

async function ignoreAlreadyExists(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
  }
}

/** Registers `namespace` and clo's search attributes on it; idempotent. */
export async function prepareNamespace(
  connection: Connection,
  namespace: string,
  deadline: number,
): Promise<void> {
  await retry(`registering namespace ${namespace}`, deadline, () =>
    ignoreAlreadyExists(
      connection.workflowService.registerNamespace({
        namespace,
        // The minimum the server accepts without an override: a test cluster keeps closed sagas a day.
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      }),
    ),
  );
  await retry(`registering clo's search attributes on ${namespace}`, deadline, async () => {
    const types = Object.fromEntries(
      ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]]),
    );
    await ignoreAlreadyExists(
      connection.operatorService.addSearchAttributes({ namespace, searchAttributes: types }),
    );
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = ALL_SEARCH_ATTRIBUTES.filter((key) => !customAttributes?.[key.name]);
    if (missing.length > 0) throw new Error(`missing ${missing.map((k) => k.name).join(', ')}`);
  });
}

/**
 * Runs one workflow through the cluster with no worker: starts it with a CloPhase search
 * attribute, takes its workflow task from matching, completes it, and waits until a visibility
 * query by that attribute finds it completed.
 */
export async function probeWorkflow(
  connection: Connection,
  namespace: string,
  deadline: number,
): Promise<void> {
  const service = connection.workflowService;
  const workflowId = `clo-cluster-probe-${randomUUID()}`;
  const taskQueue = { name: workflowId, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
  const phase = 'cluster-probe';
  await retry('starting a probe workflow', deadline, () =>
    service.startWorkflowExecution({
      namespace,
      workflowId,
      workflowType: { name: 'CloClusterProbe' },
      taskQueue,
      requestId: workflowId,
      workflowTaskTimeout: msToTs('10s'),
      searchAttributes: { indexedFields: { [PHASE.name]: defaultPayloadConverter.toPayload(phase) } },
    }),
  );
  await retry('completing the probe workflow task', deadline, async () => {
    // A poll waits up to a minute for a task; the task is already there unless matching is still joining.
    const task = await connection.withDeadline(Math.min(deadline, Date.now() + 5000), () =>
      service.pollWorkflowTaskQueue({ namespace, taskQueue, identity: 'clo-cluster-probe' }),
    );
    if (!task.taskToken?.length) throw new Error('no workflow task yet');
    await service.respondWorkflowTaskCompleted({
      namespace,
      taskToken: task.taskToken,
      identity: 'clo-cluster-probe',
      commands: [
        {
          commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
          completeWorkflowExecutionCommandAttributes: {},
        },
      ],
    });
  });
  await retry('finding the probe workflow through visibility', deadline, async () => {
    const { executions } = await service.listWorkflowExecutions({
      namespace,
      query: `${PHASE.name} = '${phase}' AND WorkflowId = '${workflowId}' AND ExecutionStatus = 'Completed'`,
    });
    if (!executions?.length) throw new Error('not visible yet');
  });
}

/** Connects to the frontend, retrying until it answers or `deadline` passes. */
export async function connectFrontend(address: string, deadline: number): Promise<Connection> {
  return await retry(`connecting to the frontend at ${address}`, deadline, async () => {
    const connection = await Connection.connect({ address, connectTimeout: 2000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      await connection.close();
      throw err;
    }
  });
}
