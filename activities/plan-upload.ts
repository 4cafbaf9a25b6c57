/** Reads the upload source before anything is created, so bad input fails with nothing to clean up. */
import type { UploadSource } from '../workflows/definitions/upload';
import { planLibraryItemSource } from './relay-file';
import { planSource, type SourcePlan } from './sources';
import type { VCenterClients } from './vcenter-clients';

export function planActivities(vcenters?: VCenterClients) {
  return {
    /** Checks the source (paths, descriptor references, manifest, OVA members, a source item's files) and lists its files. */
    async planUpload(source: UploadSource): Promise<SourcePlan> {
      if (source.kind === 'library-item') {
        if (!vcenters) throw new Error('this worker cannot reach vCenters to plan a library-item source');
        return await planLibraryItemSource(vcenters.get(source.vcenter), source);
      }
      return await planSource(source);
    },
  };
}
