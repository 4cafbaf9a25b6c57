/**
 * The activities, built by a factory that closes over the worker's long-lived
 * dependencies (samples-typescript `activities-dependency-injection`). Workflows
 * proxy `ReturnType<typeof createActivities>` with a type-only import.
 */
import type { Client } from '@temporalio/client';
import type { SmokeResult } from '../workflows/definitions/smoke';
import { withFailures } from './failures';
import { libraryItemActivities } from './library-items';
import { planActivities } from './plan-upload';
import { updateSessionActivities } from './update-sessions';
import { uploadFileActivities } from './upload-file';
import type { VCenterClients } from './vcenter-clients';

/** What the activities need from the worker. */
export interface ActivityDeps {
  vcenters: VCenterClients;
  /** For visibility queries (who owns a session); without it, take-over is unavailable. */
  temporal?: Client;
}

export function createActivities({ vcenters, temporal }: ActivityDeps) {
  return withFailures({
    /** Lists the libraries of a configured vCenter (the smoke workflow's one step). */
    async listLibrariesOn(vcenter: string): Promise<SmokeResult> {
      const ids = await vcenters.get(vcenter).listLibraries();
      return { vcenter, libraryCount: ids.length };
    },
    ...planActivities(),
    ...libraryItemActivities(vcenters),
    ...updateSessionActivities(vcenters, temporal),
    ...uploadFileActivities(vcenters),
  });
}

export type Activities = ReturnType<typeof createActivities>;
