/**
 * The activities, built by a factory that closes over the worker's long-lived
 * dependencies (samples-typescript `activities-dependency-injection`). Workflows
 * proxy `ReturnType<typeof createActivities>` with a type-only import.
 */
import type { SmokeResult } from '../workflows/definitions/smoke';
import { toApplicationFailure } from './failures';
import type { VCenterClients } from './vcenter-clients';

/** What the activities need from the worker. */
export interface ActivityDeps {
  vcenters: VCenterClients;
}

export function createActivities({ vcenters }: ActivityDeps) {
  return {
    /** Lists the libraries of a configured vCenter (the smoke workflow's one step). */
    async listLibrariesOn(vcenter: string): Promise<SmokeResult> {
      try {
        const ids = await vcenters.get(vcenter).listLibraries();
        return { vcenter, libraryCount: ids.length };
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}
