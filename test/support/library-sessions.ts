/** Counting a library's update sessions on a server other test files use at the same time. */
import type { ContentLibraryClient } from '../../activities/content-library';

/**
 * Counts the update sessions on a library's items, for "nothing was transferred" on vcsim:
 * vcsim keeps every session in its list, other test files' too (they run beside this one),
 * and ignores the list's library_item_id filter, so each session is read once for its item
 * (a session's item never changes) and only the library's are counted.
 */
export function librarySessionCounter(rest: ContentLibraryClient): (libraryId: string) => Promise<number> {
  const itemOf = new Map<string, string>();
  return async (libraryId) => {
    const items = new Set(await rest.listLibraryItems(libraryId));
    let count = 0;
    for (const id of await rest.listUpdateSessions()) {
      if (!itemOf.has(id)) {
        // Gone between list and get: not one the counted library keeps (vcsim keeps them all).
        const session = await rest.getUpdateSession(id).catch(() => undefined);
        if (session === undefined) continue;
        itemOf.set(id, session.library_item_id);
      }
      if (items.has(itemOf.get(id)!)) count++;
    }
    return count;
  };
}
