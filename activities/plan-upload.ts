/** Reads the upload source before anything is created, so bad input fails with nothing to clean up. */
import type { UploadSource } from '../workflows/definitions/upload';
import { AllowedPaths } from './allowed-paths';
import { planLibraryItemSource } from './relay-file';
import { planSource, type SourcePlan } from './sources';
import type { VCenterClients } from './vcenter-clients';

/** The planning activity; `allowed` holds the read roots every local file of the source must be under. */
export function planActivities(vcenters?: VCenterClients, allowed: AllowedPaths = new AllowedPaths()) {
  return {
    /** Checks the source (paths, descriptor references, manifest, OVA members, a source item's files) and lists its files. */
    async planUpload(source: UploadSource): Promise<SourcePlan> {
      if (source.kind === 'library-item') {
        if (!vcenters) throw new Error('this worker cannot reach vCenters to plan a library-item source');
        return await planLibraryItemSource(vcenters.get(source.vcenter), source);
      }
      return await planSource(source, { checkRead: allowed.readCheck });
    },
  };
}
