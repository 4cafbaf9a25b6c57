/**
 * The files of a library item (`library.item.File`) and where they are stored
 * (`library.item.Storage`). `/api` nests both under the item (`item/{id}/file`,
 * `item/{id}/storage`); `/rest` keys them by the item id and names a file in a POST `get`.
 */
import { ItemFileInfo, listOf, StorageInfo } from './schemas';
import type { Transport } from './transport';
import { REST_RESOURCE, RESOURCE } from './wire';

export class ItemFiles {
  constructor(private readonly t: Transport) {}

  /** The files of an item (with size and checksum once stored). */
  list(itemId: string): Promise<ItemFileInfo[]> {
    return this.t.call(
      {
        operation: 'listLibraryItemFiles',
        method: 'GET',
        target: { resource: RESOURCE.item, id: itemId, nested: ['file'] },
        rest: { path: REST_RESOURCE.itemFile, id: undefined, query: { library_item_id: itemId } },
        replayOn401: true,
      },
      listOf(ItemFileInfo),
    );
  }

  /** One file of an item. */
  get(itemId: string, fileName: string): Promise<ItemFileInfo> {
    return this.t.call(
      {
        operation: 'getLibraryItemFile',
        method: 'GET',
        target: { resource: RESOURCE.item, id: itemId, nested: ['file'] },
        query: { name: fileName },
        rest: {
          method: 'POST',
          path: REST_RESOURCE.itemFile,
          action: 'get',
          query: {},
          body: { name: fileName },
        },
        replayOn401: true,
      },
      ItemFileInfo,
    );
  }
}

export class ItemStorage {
  constructor(private readonly t: Transport) {}

  /** Storage entries of every file of an item. */
  list(itemId: string): Promise<StorageInfo[]> {
    return this.t.call(
      {
        operation: 'listLibraryItemStorage',
        method: 'GET',
        target: { resource: RESOURCE.item, id: itemId, nested: ['storage'] },
        rest: { path: REST_RESOURCE.itemStorage, id: undefined, query: { library_item_id: itemId } },
        replayOn401: true,
      },
      listOf(StorageInfo),
    );
  }

  /** Storage entries of one file (one per backing that holds it). */
  get(itemId: string, fileName: string): Promise<StorageInfo[]> {
    return this.t.call(
      {
        operation: 'getLibraryItemStorage',
        method: 'GET',
        target: { resource: RESOURCE.item, id: itemId, nested: ['storage'] },
        query: { file_name: fileName },
        rest: {
          method: 'POST',
          path: REST_RESOURCE.itemStorage,
          action: 'get',
          query: {},
          body: { file_name: fileName },
        },
        replayOn401: true,
      },
      listOf(StorageInfo),
    );
  }
}
