/** Reads the upload source before anything is created, so bad input fails with nothing to clean up. */
import type { UploadSource } from '../workflows/definitions/upload';
import { planSource, type SourcePlan } from './sources';

export function planActivities() {
  return {
    /** Checks the source (paths, descriptor references, manifest, OVA members) and lists its files. */
    async planUpload(source: UploadSource): Promise<SourcePlan> {
      return await planSource(source);
    },
  };
}
