/**
 * Worker Deployments (docs/deploy.md) through the Temporal frontend's gRPC API: SDK 1.24's
 * client has no high-level API for them. Plain objects out, for `clo deployment` and for
 * platform services; build ids in, never the `<name>.<buildId>` strings the API deprecated.
 */
import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import { InvalidInputError, NotFoundError } from './errors';

/** The API's WorkerDeploymentVersionStatus, without its prefix. */
const VERSION_STATUS = ['UNSPECIFIED', 'INACTIVE', 'CURRENT', 'RAMPING', 'DRAINING', 'DRAINED', 'CREATED'];
/** The API's VersionDrainageStatus, without its prefix. */
const DRAINAGE_STATUS = ['UNSPECIFIED', 'DRAINING', 'DRAINED'];
/** The API's TaskQueueType, without its prefix. */
const TASK_QUEUE_TYPE = ['unspecified', 'workflow', 'activity', 'nexus'];

/** One task queue a version's workers poll, with the kinds of tasks they poll it for. */
export interface VersionTaskQueue {
  name: string;
  types: string[];
}

/** One version (build) of a Worker Deployment. */
export interface DeploymentVersion {
  buildId: string;
  /** INACTIVE, CURRENT, RAMPING, DRAINING (pinned workflows still open on it) or DRAINED. */
  status: string;
  /** DRAINING or DRAINED once the version stopped being current or ramping; as of `drainageCheckedAt`. */
  drainage?: string;
  drainageCheckedAt?: string;
  createdAt?: string;
  currentSince?: string;
  rampingSince?: string;
  /** The task queues this version's workers have polled. */
  taskQueues: VersionTaskQueue[];
}

export interface DeploymentDescription {
  name: string;
  /** The build new workflows start on; undefined: the unversioned workers. */
  currentBuildId?: string;
  rampingBuildId?: string;
  rampPercentage?: number;
  currentChangedAt?: string;
  /** Newest first. */
  versions: DeploymentVersion[];
}

export interface DeploymentSummary {
  name: string;
  createdAt?: string;
  currentBuildId?: string;
  rampingBuildId?: string;
  latestBuildId?: string;
}

interface Timestamp {
  seconds?: { toString(): string } | number | null;
  nanos?: number | null;
}

function iso(t: Timestamp | null | undefined): string | undefined {
  if (!t?.seconds) return undefined;
  return new Date(Number(t.seconds.toString()) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

const enumName = (names: string[], value: number | null | undefined): string =>
  names[value ?? 0] ?? String(value);

/** gRPC status codes the API answers with. */
const GRPC = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, FAILED_PRECONDITION: 9 } as const;

/** Turns a gRPC error into clo's error classes, so the CLI exits with the right code. */
function explain(err: unknown, what: string): Error {
  const e = err as { code?: number; details?: string; message?: string };
  const detail = e.details || e.message || String(err);
  // set-current answers a deployment the server never saw with a precondition failure, not NOT_FOUND.
  if (/no Worker Deployment found/i.test(detail))
    return new NotFoundError(
      `${what}: ${detail}. A deployment exists once a worker of it has polled: check --deployment-name, or start its workers first`,
    );
  if (e.code === GRPC.NOT_FOUND) return new NotFoundError(`${what}: ${detail}`);
  if (e.code === GRPC.INVALID_ARGUMENT) return new InvalidInputError(`${what}: ${detail}`);
  return new Error(`${what}: ${detail}`);
}

const identity = (): string => `clo@${hostname()}`;

/** Describes a Worker Deployment: its routing and each version's status, drainage and task queues. */
export async function describeDeployment(client: Client, name: string): Promise<DeploymentDescription> {
  const service = client.connection.workflowService;
  const namespace = client.options.namespace;
  let info;
  try {
    info = (await service.describeWorkerDeployment({ namespace, deploymentName: name })).workerDeploymentInfo;
  } catch (err) {
    throw explain(err, `Worker Deployment "${name}"`);
  }
  const routing = info?.routingConfig;
  const versions = await Promise.all(
    (info?.versionSummaries ?? []).map(async (v): Promise<DeploymentVersion> => {
      const buildId = v.deploymentVersion?.buildId ?? '';
      // The summaries leave out the task queues: one DescribeWorkerDeploymentVersion each.
      const described = await service
        .describeWorkerDeploymentVersion({ namespace, deploymentVersion: { deploymentName: name, buildId } })
        .catch((err: unknown) => {
          // Deleted between the two calls: show it without its task queues.
          if ((err as { code?: number }).code === GRPC.NOT_FOUND) return undefined;
          throw explain(err, `version ${buildId} of Worker Deployment "${name}"`);
        });
      const queues = new Map<string, string[]>();
      for (const q of described?.workerDeploymentVersionInfo?.taskQueueInfos ?? []) {
        const types = queues.get(q.name ?? '') ?? [];
        types.push(enumName(TASK_QUEUE_TYPE, q.type));
        queues.set(q.name ?? '', types);
      }
      const drainage = v.drainageInfo?.status ?? v.drainageStatus;
      return {
        buildId,
        status: enumName(VERSION_STATUS, v.status),
        ...(drainage ? { drainage: enumName(DRAINAGE_STATUS, drainage) } : {}),
        ...optional('drainageCheckedAt', iso(v.drainageInfo?.lastCheckedTime)),
        ...optional('createdAt', iso(v.createTime)),
        ...optional('currentSince', iso(v.currentSinceTime)),
        ...optional('rampingSince', iso(v.rampingSinceTime)),
        taskQueues: [...queues].map(([queue, types]) => ({ name: queue, types: types.sort() })),
      };
    }),
  );
  versions.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  const ramping = routing?.rampingDeploymentVersion?.buildId;
  return {
    name,
    ...optional('currentBuildId', routing?.currentDeploymentVersion?.buildId || undefined),
    ...optional('rampingBuildId', ramping || undefined),
    ...(ramping ? { rampPercentage: routing?.rampingVersionPercentage ?? 0 } : {}),
    ...optional('currentChangedAt', iso(routing?.currentVersionChangedTime)),
    versions,
  };
}

/** Lists the namespace's Worker Deployments. */
export async function listDeployments(client: Client): Promise<DeploymentSummary[]> {
  const service = client.connection.workflowService;
  const out: DeploymentSummary[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    let page;
    try {
      page = await service.listWorkerDeployments({
        namespace: client.options.namespace,
        ...(nextPageToken ? { nextPageToken } : {}),
      });
    } catch (err) {
      throw explain(err, 'Worker Deployments');
    }
    for (const d of page.workerDeployments ?? []) {
      out.push({
        name: d.name ?? '',
        ...optional('createdAt', iso(d.createTime)),
        ...optional('currentBuildId', d.routingConfig?.currentDeploymentVersion?.buildId || undefined),
        ...optional('rampingBuildId', d.routingConfig?.rampingDeploymentVersion?.buildId || undefined),
        ...optional('latestBuildId', d.latestVersionSummary?.deploymentVersion?.buildId || undefined),
      });
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return out;
}

/** Options for {@link setCurrentVersion}. */
export interface SetCurrentVersionOptions {
  /**
   * Set it current even if its workers do not poll every task queue the current version's do
   * (another host's `<queue>@<host>`, say). @default false
   */
  ignoreMissingTaskQueues?: boolean;
}

/**
 * Makes `buildId` the deployment's current version: new workflows start on it, AUTO_UPGRADE
 * ones move to it; pinned ones stay where they are. Not back to the unversioned workers: a
 * workflow that ran versioned declares a versioning behavior, which an unversioned worker may
 * not send (workflows/index.ts); roll back to the previous build id instead. Resolves to the
 * build id that was current before (undefined: the unversioned workers).
 */
export async function setCurrentVersion(
  client: Client,
  name: string,
  buildId: string,
  opts: SetCurrentVersionOptions = {},
): Promise<{ previousBuildId?: string }> {
  let res;
  try {
    res = await client.connection.workflowService.setWorkerDeploymentCurrentVersion({
      namespace: client.options.namespace,
      deploymentName: name,
      buildId,
      identity: identity(),
      ignoreMissingTaskQueues: opts.ignoreMissingTaskQueues ?? false,
    });
  } catch (err) {
    const failure = explain(err, `set-current ${buildId} in Worker Deployment "${name}"`);
    if ((err as { code?: number }).code === GRPC.FAILED_PRECONDITION && /task queue/i.test(failure.message)) {
      failure.message +=
        ". If what is missing is another host's download queue (<queue>@<host>) that the new build will not poll, pass --ignore-missing-task-queues";
    }
    throw failure;
  }
  // The response's previous version is deprecated in favour of describing before: read both.
  const previous =
    res.previousDeploymentVersion?.buildId || res.previousVersion?.split('.').slice(1).join('.');
  return previous && previous !== '__unversioned__' ? { previousBuildId: previous } : {};
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
