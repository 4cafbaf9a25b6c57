/**
 * The activities, built by a factory that closes over the worker's long-lived
 * dependencies (samples-typescript `activities-dependency-injection`). Workflows
 * proxy `ReturnType<typeof createActivities>` with a type-only import.
 */
import type { Client } from '@temporalio/client';
import type { SmokeResult } from '../workflows/definitions/smoke';
import { AllowedPaths } from './allowed-paths';
import { downloadFileActivities } from './download-files';
import { downloadSessionActivities } from './download-sessions';
import { withFailures } from './failures';
import { libraryItemActivities } from './library-items';
import { planActivities } from './plan-upload';
import { reaperActivities } from './reaper';
import { sessionLeaseActivities } from './session-lease';
import { relayFileActivities } from './relay-file';
import { syncActivities } from './sync';
import { transferPermitActivities } from './transfer-permits';
import { updateSessionActivities } from './update-sessions';
import { updateSessionPreviewActivities } from './update-session-preview';
import { uploadFileActivities } from './upload-file';
import type { VCenterClients } from './vcenter-clients';

/** What the activities need from the worker. */
export interface ActivityDeps {
  vcenters: VCenterClients;
  /** For visibility queries (who owns a session); without it, take-over is unavailable. */
  temporal?: Client;
  /** The task queue only this host's workers poll (download saga). @default `<activity's task queue>@<host name>` */
  hostTaskQueue?: string;
  /** Write downloads with O_DIRECT where possible (config `worker.directIo`). @default true */
  directIo?: boolean;
  /** Directories whose files activities may read (config `worker.readRoots`). @default none: no file is read */
  readRoots?: readonly string[];
  /** Directories under which downloads may be written (config `worker.writeRoots`). @default none: nothing is written */
  writeRoots?: readonly string[];
}

export function createActivities({
  vcenters,
  temporal,
  hostTaskQueue,
  directIo = true,
  readRoots = [],
  writeRoots = [],
}: ActivityDeps) {
  const allowed = new AllowedPaths({ readRoots, writeRoots });
  return withFailures({
    /** Lists the libraries of a configured vCenter (the smoke workflow's one step). */
    async listLibrariesOn(vcenter: string): Promise<SmokeResult> {
      const ids = await vcenters.get(vcenter).listLibraries();
      return { vcenter, libraryCount: ids.length };
    },
    ...planActivities(vcenters, allowed),
    ...libraryItemActivities(vcenters),
    ...updateSessionActivities(vcenters, temporal),
    ...updateSessionPreviewActivities(vcenters),
    ...uploadFileActivities(vcenters, allowed),
    ...relayFileActivities(vcenters),
    ...syncActivities(vcenters, allowed),
    ...reaperActivities(vcenters, temporal),
    ...sessionLeaseActivities(vcenters, temporal),
    ...transferPermitActivities(vcenters, temporal),
    ...downloadSessionActivities(vcenters),
    ...downloadFileActivities(vcenters, {
      ...(hostTaskQueue ? { hostTaskQueue } : {}),
      directIo,
      allowed,
    }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
