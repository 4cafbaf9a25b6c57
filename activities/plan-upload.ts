/** Reads the upload source before anything is created, so bad input fails with nothing to clean up. */
import type { UploadSource } from '../workflows/definitions/upload';
import { AllowedPaths } from './allowed-paths';
import { libraryItemActivities, type Ref, type ResolvedItem } from './library-items';
import { planLibraryItemSource } from './relay-file';
import { planSource, type SourcePlan } from './sources';
import type { VCenterClients } from './vcenter-clients';

/** What the upload saga learns before it creates anything: the source's files, the library, the item if it exists. */
export interface PreparedUpload {
  plan: SourcePlan;
  library: { id: string; name: string };
  item: ResolvedItem | null;
}

/** The planning activity; `allowed` holds the read roots every local file of the source must be under. */
export function planActivities(vcenters?: VCenterClients, allowed: AllowedPaths = new AllowedPaths()) {
  const planUpload = async (source: UploadSource): Promise<SourcePlan> => {
    if (source.kind === 'library-item') {
      if (!vcenters) throw new Error('this worker cannot reach vCenters to plan a library-item source');
      return await planLibraryItemSource(vcenters.get(source.vcenter), source);
    }
    return await planSource(source, { checkRead: allowed.readCheck });
  };
  return {
    /** Checks the source (paths, descriptor references, manifest, OVA members, a source item's files) and lists its files. */
    planUpload,

    /**
     * planUpload, resolveLibrary and findLibraryItem in one local activity, the lookups beside
     * the planning rather than after it: all three only read, so retrying them together is
     * safe, and the saga's first workflow task runs one activity instead of three in a row.
     * A failure is reported as the sequence would have: the source's first, then the library's.
     */
    async prepareUpload(
      vcenter: string,
      source: UploadSource,
      library: Ref,
      item: Ref,
    ): Promise<PreparedUpload> {
      if (!vcenters) throw new Error('this worker cannot reach vCenters to prepare an upload');
      const lookups = libraryItemActivities(vcenters);
      const planned = planUpload(source);
      const resolved = lookups.resolveLibrary(vcenter, library);
      // Named by id, the library's id is known already; the item's lookup need not wait for it.
      const found =
        'id' in library
          ? lookups.findLibraryItem(vcenter, library.id, item)
          : resolved.then(async (lib) => lookups.findLibraryItem(vcenter, lib.id, item));
      const [p, l, i] = await Promise.allSettled([planned, resolved, found]);
      if (p.status === 'rejected') throw p.reason;
      if (l.status === 'rejected') throw l.reason;
      if (i.status === 'rejected') throw i.reason;
      return { plan: p.value, library: l.value, item: i.value };
    },
  };
}
