/**
 * Custom search attributes every saga sets, so transfers can be found and filtered
 * in the Web UI and by `clo list`. `clo dev` registers them on the embedded server;
 * on a production cluster register them once with
 * `temporal operator search-attribute create --name <name> --type <type>`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** vCenter connection name the saga works against. */
export const VCENTER = defineSearchAttributeKey('CloVCenter', SearchAttributeType.KEYWORD);
/** Content Library id (`com.vmware.content.Library`). */
export const LIBRARY_ID = defineSearchAttributeKey('CloLibraryId', SearchAttributeType.KEYWORD);
/** Library item id (`com.vmware.content.library.Item`). */
export const ITEM_ID = defineSearchAttributeKey('CloItemId', SearchAttributeType.KEYWORD);
/** Update or download session ids the saga has created; the reaper asks visibility for these. */
export const SESSION_ID = defineSearchAttributeKey('CloSessionId', SearchAttributeType.KEYWORD_LIST);
/** The saga's current phase (planning, transferring, validating, completing, compensating, ...). */
export const PHASE = defineSearchAttributeKey('CloPhase', SearchAttributeType.KEYWORD);

/** Every key, for registration. */
export const ALL_SEARCH_ATTRIBUTES = [VCENTER, LIBRARY_ID, ITEM_ID, SESSION_ID, PHASE] as const;

/** The `temporal` CLI's spelling of each type, for `--search-attribute Name=Type`. */
export const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
};
