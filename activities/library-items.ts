/**
 * Library and item activities: find what the caller named, create the item a saga
 * needs, and delete it again when the saga compensates.
 */
import { isContentLibraryError } from './content-library';
import { permanent } from './failures';
import type { VCenterClients } from './vcenter-clients';

/** A library or item named by id or by name. */
export type Ref = { id: string } | { name: string };

export interface ResolvedItem {
  id: string;
  name: string;
  type?: string;
  contentVersion?: string;
}

export function libraryItemActivities(vcenters: VCenterClients) {
  return {
    /** The id of the library named by `ref`; LibraryNotFound (permanent) when there is none. */
    async resolveLibrary(vcenter: string, ref: Ref): Promise<{ id: string; name: string }> {
      const client = vcenters.get(vcenter);
      if ('id' in ref) {
        try {
          const lib = await client.getLibrary(ref.id);
          return { id: ref.id, name: lib.name ?? ref.id };
        } catch (err) {
          if (isContentLibraryError(err) && err.code === 'NOT_FOUND') {
            throw permanent('LibraryNotFound', `library ${ref.id} does not exist on vCenter "${vcenter}"`);
          }
          throw err;
        }
      }
      const ids = await client.findLibraries({ name: ref.name });
      if (ids.length === 0) {
        throw permanent(
          'LibraryNotFound',
          `no library named "${ref.name}" on vCenter "${vcenter}"; create it first`,
        );
      }
      if (ids.length > 1) {
        throw permanent(
          'AmbiguousLibrary',
          `${ids.length} libraries are named "${ref.name}"; name it by id instead`,
        );
      }
      return { id: ids[0]!, name: ref.name };
    },

    /** The item named by `ref` in the library, or null when a name matches nothing. */
    async findLibraryItem(vcenter: string, libraryId: string, ref: Ref): Promise<ResolvedItem | null> {
      const client = vcenters.get(vcenter);
      let id: string;
      if ('id' in ref) {
        id = ref.id;
      } else {
        const ids = await client.findLibraryItems({ library_id: libraryId, name: ref.name });
        if (ids.length === 0) return null;
        id = ids[0]!;
      }
      try {
        const item = await client.getLibraryItem(id);
        if (item.library_id && item.library_id !== libraryId) {
          throw permanent(
            'ItemNotInLibrary',
            `item ${id} belongs to library ${item.library_id}, not ${libraryId}`,
          );
        }
        return {
          id,
          name: item.name ?? id,
          ...(item.type ? { type: item.type } : {}),
          ...(item.content_version ? { contentVersion: item.content_version } : {}),
        };
      } catch (err) {
        if ('id' in ref && isContentLibraryError(err) && err.code === 'NOT_FOUND') {
          throw permanent('ItemNotFound', `library item ${ref.id} does not exist on vCenter "${vcenter}"`);
        }
        throw err;
      }
    },

    /** Creates an item; the workflow's `clientToken` makes a retried create return the same item. */
    async createLibraryItem(
      vcenter: string,
      spec: { libraryId: string; name: string; type?: string; description?: string },
      clientToken: string,
    ): Promise<string> {
      return await vcenters.get(vcenter).createLibraryItem(
        {
          library_id: spec.libraryId,
          name: spec.name,
          ...(spec.type !== undefined ? { type: spec.type } : {}),
          ...(spec.description !== undefined ? { description: spec.description } : {}),
        },
        clientToken,
      );
    },

    /** Deletes an item; one that is already gone counts as deleted (compensations must be repeatable). */
    async deleteLibraryItem(vcenter: string, itemId: string): Promise<void> {
      try {
        await vcenters.get(vcenter).deleteLibraryItem(itemId);
      } catch (err) {
        if (isContentLibraryError(err) && err.code === 'NOT_FOUND') return;
        throw err;
      }
    },

    /** The item's current content version (it increases when an update session completes). */
    async getContentVersion(vcenter: string, itemId: string): Promise<string | undefined> {
      return (await vcenters.get(vcenter).getLibraryItem(itemId)).content_version ?? undefined;
    },
  };
}
