/** Library items: `content/library/item`. */
import { Id, IdList, ItemModel } from './schemas';
import type { Transport } from './transport';
import { createOperation, RESOURCE } from './wire';

/** Spec of {@link Items.create}. */
export interface CreateLibraryItemSpec {
  /** Library that will hold the item. */
  library_id: string;
  /** Item name (unique within the library). */
  name: string;
  /** Item type (`ovf`, `iso`, or empty for plain files). */
  type?: string;
  /** Free-text description. */
  description?: string;
}

/** Criteria of {@link Items.find}; absent fields match all. */
export interface FindLibraryItemSpec {
  /** Restrict to one library. */
  library_id?: string;
  /** Exact item name. */
  name?: string;
  /** Item type. */
  type?: string;
}

/** Fields {@link Items.update} can change; absent fields stay. */
export interface UpdateLibraryItemSpec {
  /** New name. */
  name?: string;
  /** New description. */
  description?: string;
}

export class Items {
  constructor(private readonly t: Transport) {}

  /** Creates an empty library item; returns its id. A `clientToken` (UUID) makes the create idempotent. */
  create(spec: CreateLibraryItemSpec, clientToken?: string): Promise<string> {
    return this.t.call(createOperation('createLibraryItem', RESOURCE.item, { ...spec }, clientToken), Id);
  }

  /** One library item. */
  get(itemId: string): Promise<ItemModel> {
    return this.t.call(
      {
        operation: 'getLibraryItem',
        method: 'GET',
        target: { resource: RESOURCE.item, id: itemId },
        replayOn401: true,
      },
      ItemModel,
    );
  }

  /** Ids of the items of one library. */
  list(libraryId: string): Promise<string[]> {
    return this.t.call(
      {
        operation: 'listLibraryItems',
        method: 'GET',
        target: { resource: RESOURCE.item },
        query: { library_id: libraryId },
        replayOn401: true,
      },
      IdList,
    );
  }

  /** Ids of items matching `spec`. */
  find(spec: FindLibraryItemSpec): Promise<string[]> {
    return this.t.call(
      {
        operation: 'findLibraryItems',
        method: 'POST',
        target: { resource: RESOURCE.item },
        action: 'find',
        body: spec,
        restWrap: 'spec',
        replayOn401: true,
      },
      IdList,
    );
  }

  /** Changes an item's name or description. */
  update(itemId: string, spec: UpdateLibraryItemSpec): Promise<void> {
    return this.t.callVoid({
      operation: 'updateLibraryItem',
      method: 'PATCH',
      target: { resource: RESOURCE.item, id: itemId },
      body: spec,
      restWrap: 'update_spec',
      replayOn401: true,
    });
  }

  /** Deletes an item and its files. */
  delete(itemId: string): Promise<void> {
    return this.t.callVoid({
      operation: 'deleteLibraryItem',
      method: 'DELETE',
      target: { resource: RESOURCE.item, id: itemId },
      replayOn401: true,
    });
  }
}
