/** Libraries: `content/library` (and `content/local-library` for create and delete). */
import { Id, IdList, LibraryModel, type LibraryType } from './schemas';
import type { Transport } from './transport';
import { createOperation, RESOURCE } from './wire';

/** Spec of {@link Libraries.create}: a local library on one datastore. */
export interface CreateLibrarySpec {
  /** Library name (unique per vCenter). */
  name: string;
  /** Datastore managed-object id (for example `datastore-59`) backing the library. */
  datastore_id: string;
  /** Free-text description. */
  description?: string;
}

/** Criteria of {@link Libraries.find}; absent fields match all. */
export interface FindLibrarySpec {
  /** Library name (vCenter matches case-insensitively). */
  name?: string;
  /** LOCAL or SUBSCRIBED. */
  type?: LibraryType;
}

export class Libraries {
  constructor(private readonly t: Transport) {}

  /** Creates a LOCAL library backed by one datastore; returns its id. A `clientToken` (UUID) makes the create idempotent. */
  create(spec: CreateLibrarySpec, clientToken?: string): Promise<string> {
    const model: Record<string, unknown> = {
      name: spec.name,
      type: 'LOCAL',
      storage_backings: [{ type: 'DATASTORE', datastore_id: spec.datastore_id }],
    };
    if (spec.description !== undefined) model.description = spec.description;
    return this.t.call(createOperation('createLibrary', RESOURCE.localLibrary, model, clientToken), Id);
  }

  /** Ids of all libraries. */
  list(): Promise<string[]> {
    return this.t.call(
      {
        operation: 'listLibraries',
        method: 'GET',
        target: { resource: RESOURCE.library },
        replayOn401: true,
      },
      IdList,
    );
  }

  /** One library. */
  get(libraryId: string): Promise<LibraryModel> {
    return this.t.call(
      {
        operation: 'getLibrary',
        method: 'GET',
        target: { resource: RESOURCE.library, id: libraryId },
        replayOn401: true,
      },
      LibraryModel,
    );
  }

  /** Ids of libraries matching `spec`. */
  find(spec: FindLibrarySpec): Promise<string[]> {
    return this.t.call(
      {
        operation: 'findLibraries',
        method: 'POST',
        target: { resource: RESOURCE.library },
        action: 'find',
        body: spec,
        restWrap: 'spec',
        replayOn401: true,
      },
      IdList,
    );
  }

  /** Deletes a LOCAL library and all its items. */
  delete(libraryId: string): Promise<void> {
    return this.t.callVoid({
      operation: 'deleteLibrary',
      method: 'DELETE',
      target: { resource: RESOURCE.localLibrary, id: libraryId },
      replayOn401: true,
    });
  }
}
