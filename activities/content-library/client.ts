/**
 * Typed client of the vSphere Content Library API on undici, in either wire format (`/api` of
 * vSphere 7.0 U2 and later, or the older `/rest`; see wire.ts), with one module per resource
 * over one transport:
 *
 * | resource | module | member |
 * |---|---|---|
 * | session (login, logout, flavour) | transport.ts | `login()`, `logout()`, `flavor()` |
 * | library | libraries.ts | `libraries` |
 * | library item | items.ts | `items` |
 * | item file, item storage | item-files.ts | `itemFiles`, `itemStorage` |
 * | update session | update-sessions.ts | `updateSessions` |
 * | update-session file | update-session-files.ts | `updateSessionFiles` |
 * | download session | download-sessions.ts | `downloadSessions` |
 * | download-session file | download-session-files.ts | `downloadSessionFiles` |
 * | transfers (PUT/GET of file bytes) | transfer.ts | `uploadToEndpoint`, `downloadFromEndpoint` |
 *
 * The flat methods below (`createUpdateSession`, ...) are the same operations under the names
 * their errors and logs carry; the activities call those. A plain vSphere client: it knows
 * nothing of Temporal and never retries beyond a single re-login.
 */
import type { Dispatcher } from 'undici';

import { DownloadSessionFiles } from './download-session-files';
import { DownloadSessions } from './download-sessions';
import { ItemFiles, ItemStorage } from './item-files';
import {
  type CreateLibraryItemSpec,
  type FindLibraryItemSpec,
  Items,
  type UpdateLibraryItemSpec,
} from './items';
import { type CreateLibrarySpec, type FindLibrarySpec, Libraries } from './libraries';
import type {
  AddSpec,
  DownloadSessionFileInfo,
  DownloadSessionModel,
  EndpointType,
  ItemFileInfo,
  ItemModel,
  LibraryModel,
  StorageInfo,
  TransferEndpoint,
  UpdateSessionFileInfo,
  UpdateSessionModel,
  ValidationResult,
} from './schemas';
import { createAgent, type TlsOptions } from './tls';
import {
  type DownloadOptions,
  type DownloadResult,
  isLoopback,
  Transfers,
  type UploadBody,
  type UploadOptions,
  type UploadResult,
} from './transfer';
import { Transport, type TransportOptions } from './transport';
import { UpdateSessionFiles } from './update-session-files';
import { type SessionCreateSpec, type UpdateSessionUpdateSpec, UpdateSessions } from './update-sessions';
import type { ApiFlavor } from './wire';

export {
  SESSION_HEADER,
  type DownloadOptions,
  type DownloadResult,
  type UploadBody,
  type UploadOptions,
  type UploadResult,
} from './transfer';
export type { ContentLibraryLogger } from './transport';
export type { CreateLibrarySpec, FindLibrarySpec } from './libraries';
export type { CreateLibraryItemSpec, FindLibraryItemSpec, UpdateLibraryItemSpec } from './items';
export type { SessionCreateSpec, UpdateSessionUpdateSpec } from './update-sessions';
export { API_FLAVOR_SETTINGS, type ApiFlavor, type ApiFlavorSetting } from './wire';

/** Options of {@link ContentLibraryClient}. */
export interface ContentLibraryClientOptions extends TransportOptions {
  /** Certificate verification for the API and for transfer endpoints without their own thumbprint. @default full verification against Node's roots */
  tls?: TlsOptions;
  /**
   * Dispatcher for control-plane calls (and, unless `transferAgent` is given, for transfers too)
   * instead of creating one; the caller owns it and `close()` leaves it open.
   */
  agent?: Dispatcher;
  /**
   * Dispatcher for transfers (the PUT and GET of file bytes) instead of creating one; the caller
   * owns it. @default `agent` when that is given, else a pool of its own ({@link TRANSFER_CONNECTIONS})
   */
  transferAgent?: Dispatcher;
  /** A transfer fails when no byte moves for this long (and, for uploads, when the response takes this long after the last byte). @default 300000 */
  transferIdleTimeoutMs?: number;
  /**
   * Rewrite transfer URIs to the base URL's origin when the server names another
   * host (vcsim listening on 0.0.0.0 reports the machine's first non-loopback
   * address). @default true when the base URL's host is loopback, else false
   */
  rewriteTransferHost?: boolean;
  /**
   * Send every transfer (upload and download endpoints) to this origin, keeping the
   * path, whatever host the server names: for a vCenter behind a reverse proxy or NAT.
   * @default none
   */
  transferOrigin?: string;
}

/**
 * Connections per origin of the transfer pool. Transfers get a pool of their own so that a
 * control call (login, keep_alive, a list) never queues behind them: a full pool of stalled
 * multi-gigabyte PUTs would otherwise hold a saga's keep-alive until its session expired. A
 * worker process runs at most 16 transfer activities (two Workers of 8 slots), and a relay
 * between two items of one vCenter holds a GET and a PUT at once: 32 never makes a transfer
 * wait for another's connection.
 */
export const TRANSFER_CONNECTIONS = 32;

/** Typed client of the Content Library API; one instance per vCenter and credential, long-lived. */
export class ContentLibraryClient {
  readonly libraries: Libraries;
  readonly items: Items;
  readonly itemFiles: ItemFiles;
  readonly itemStorage: ItemStorage;
  readonly updateSessions: UpdateSessions;
  readonly updateSessionFiles: UpdateSessionFiles;
  readonly downloadSessions: DownloadSessions;
  readonly downloadSessionFiles: DownloadSessionFiles;
  private readonly transport: Transport;
  private readonly transfers: Transfers;
  private readonly transferAgent: Dispatcher;
  private readonly ownsTransferAgent: boolean;

  constructor(options: ContentLibraryClientOptions) {
    const ownsAgent = options.agent === undefined;
    const agent = options.agent ?? createAgent(options.tls);
    // The transport validates the URL; if it throws, the agent we just made must not leak.
    try {
      this.transport = new Transport(options, { dispatcher: agent, owned: ownsAgent });
    } catch (err) {
      if (ownsAgent) void agent.close();
      throw err;
    }
    this.ownsTransferAgent = options.transferAgent === undefined && options.agent === undefined;
    this.transferAgent =
      options.transferAgent ??
      options.agent ??
      createAgent(options.tls, { connections: TRANSFER_CONNECTIONS });
    const base = this.transport.base;
    this.transfers = new Transfers(this.transport, {
      base,
      transferAgent: this.transferAgent,
      requestTimeoutMs: this.transport.requestTimeoutMs,
      transferIdleTimeoutMs: options.transferIdleTimeoutMs ?? 300_000,
      rewriteTransferHost: options.rewriteTransferHost ?? isLoopback(base.hostname),
      ...(options.transferOrigin ? { transferOrigin: new URL(options.transferOrigin).origin } : {}),
    });
    this.libraries = new Libraries(this.transport);
    this.items = new Items(this.transport);
    this.itemFiles = new ItemFiles(this.transport);
    this.itemStorage = new ItemStorage(this.transport);
    this.updateSessions = new UpdateSessions(this.transport);
    this.updateSessionFiles = new UpdateSessionFiles(this.transport);
    this.downloadSessions = new DownloadSessions(this.transport);
    this.downloadSessionFiles = new DownloadSessionFiles(this.transport);
  }

  /** Closes the agents this client created (not an injected one). Does not log out: call {@link logout} first if the session should end. */
  async close(): Promise<void> {
    const closing = [this.transport.close(), this.transfers.close()];
    if (this.ownsTransferAgent) closing.push(this.transferAgent.close());
    await Promise.all(closing);
  }

  // ---------------------------------------------------------------- session

  /** Logs in (`POST /api/session` or `/rest/com/vmware/cis/session`) and keeps the token; concurrent callers share one login. */
  login(): Promise<void> {
    return this.transport.login();
  }
  /** Ends the session on the server, if there is one; an expired session is not an error. */
  logout(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.transport.logout(options);
  }
  /** True while the client holds a session token (it may still have expired on the server). */
  get hasSession(): boolean {
    return this.transport.hasSession;
  }
  /** The wire format of this connection; with `auto`, logs in to find it (then remembered). */
  flavor(): Promise<ApiFlavor> {
    return this.transport.flavor();
  }

  // ---------------------------------------------------------------- flat names (see the modules)

  createLibrary(spec: CreateLibrarySpec, clientToken?: string): Promise<string> {
    return this.libraries.create(spec, clientToken);
  }
  listLibraries(): Promise<string[]> {
    return this.libraries.list();
  }
  getLibrary(libraryId: string): Promise<LibraryModel> {
    return this.libraries.get(libraryId);
  }
  findLibraries(spec: FindLibrarySpec): Promise<string[]> {
    return this.libraries.find(spec);
  }
  deleteLibrary(libraryId: string): Promise<void> {
    return this.libraries.delete(libraryId);
  }

  createLibraryItem(spec: CreateLibraryItemSpec, clientToken?: string): Promise<string> {
    return this.items.create(spec, clientToken);
  }
  getLibraryItem(itemId: string): Promise<ItemModel> {
    return this.items.get(itemId);
  }
  listLibraryItems(libraryId: string): Promise<string[]> {
    return this.items.list(libraryId);
  }
  findLibraryItems(spec: FindLibraryItemSpec): Promise<string[]> {
    return this.items.find(spec);
  }
  updateLibraryItem(itemId: string, spec: UpdateLibraryItemSpec): Promise<void> {
    return this.items.update(itemId, spec);
  }
  deleteLibraryItem(itemId: string): Promise<void> {
    return this.items.delete(itemId);
  }

  listLibraryItemFiles(itemId: string): Promise<ItemFileInfo[]> {
    return this.itemFiles.list(itemId);
  }
  getLibraryItemFile(itemId: string, fileName: string): Promise<ItemFileInfo> {
    return this.itemFiles.get(itemId, fileName);
  }
  listLibraryItemStorage(itemId: string): Promise<StorageInfo[]> {
    return this.itemStorage.list(itemId);
  }
  getLibraryItemStorage(itemId: string, fileName: string): Promise<StorageInfo[]> {
    return this.itemStorage.get(itemId, fileName);
  }

  createUpdateSession(spec: SessionCreateSpec, clientToken?: string): Promise<string> {
    return this.updateSessions.create(spec, clientToken);
  }
  getUpdateSession(sessionId: string): Promise<UpdateSessionModel> {
    return this.updateSessions.get(sessionId);
  }
  listUpdateSessions(libraryItemId?: string): Promise<string[]> {
    return this.updateSessions.list(libraryItemId);
  }
  /** PATCH of `warning_behavior` (`/api` only). */
  updateUpdateSession(sessionId: string, spec: UpdateSessionUpdateSpec): Promise<void> {
    return this.updateSessions.update(sessionId, spec);
  }
  keepAliveUpdateSession(sessionId: string, clientProgress?: number): Promise<void> {
    return this.updateSessions.keepAlive(sessionId, clientProgress);
  }
  completeUpdateSession(sessionId: string): Promise<void> {
    return this.updateSessions.complete(sessionId);
  }
  cancelUpdateSession(sessionId: string): Promise<void> {
    return this.updateSessions.cancel(sessionId);
  }
  failUpdateSession(sessionId: string, clientErrorMessage: string): Promise<void> {
    return this.updateSessions.fail(sessionId, clientErrorMessage);
  }
  deleteUpdateSession(sessionId: string): Promise<void> {
    return this.updateSessions.delete(sessionId);
  }

  addUpdateSessionFile(sessionId: string, fileSpec: AddSpec): Promise<UpdateSessionFileInfo> {
    return this.updateSessionFiles.add(sessionId, fileSpec);
  }
  getUpdateSessionFile(sessionId: string, fileName: string): Promise<UpdateSessionFileInfo> {
    return this.updateSessionFiles.get(sessionId, fileName);
  }
  listUpdateSessionFiles(sessionId: string): Promise<UpdateSessionFileInfo[]> {
    return this.updateSessionFiles.list(sessionId);
  }
  removeUpdateSessionFile(sessionId: string, fileName: string): Promise<void> {
    return this.updateSessionFiles.remove(sessionId, fileName);
  }
  validateUpdateSessionFiles(sessionId: string): Promise<ValidationResult> {
    return this.updateSessionFiles.validate(sessionId);
  }

  createDownloadSession(spec: SessionCreateSpec, clientToken?: string): Promise<string> {
    return this.downloadSessions.create(spec, clientToken);
  }
  getDownloadSession(sessionId: string): Promise<DownloadSessionModel> {
    return this.downloadSessions.get(sessionId);
  }
  listDownloadSessions(libraryItemId?: string): Promise<string[]> {
    return this.downloadSessions.list(libraryItemId);
  }
  keepAliveDownloadSession(sessionId: string, progress?: number): Promise<void> {
    return this.downloadSessions.keepAlive(sessionId, progress);
  }
  cancelDownloadSession(sessionId: string): Promise<void> {
    return this.downloadSessions.cancel(sessionId);
  }
  failDownloadSession(sessionId: string, clientErrorMessage: string): Promise<void> {
    return this.downloadSessions.fail(sessionId, clientErrorMessage);
  }
  deleteDownloadSession(sessionId: string): Promise<void> {
    return this.downloadSessions.delete(sessionId);
  }

  listDownloadSessionFiles(sessionId: string): Promise<DownloadSessionFileInfo[]> {
    return this.downloadSessionFiles.list(sessionId);
  }
  getDownloadSessionFile(sessionId: string, fileName: string): Promise<DownloadSessionFileInfo> {
    return this.downloadSessionFiles.get(sessionId, fileName);
  }
  prepareDownloadSessionFile(
    sessionId: string,
    fileName: string,
    endpointType: EndpointType = 'HTTPS',
  ): Promise<DownloadSessionFileInfo> {
    return this.downloadSessionFiles.prepare(sessionId, fileName, endpointType);
  }

  // ---------------------------------------------------------------- transfers (transfer.ts)

  rewriteTransferUri(uri: string): string {
    return this.transfers.rewriteTransferUri(uri);
  }
  uploadToEndpoint(
    endpoint: string | TransferEndpoint,
    body: UploadBody,
    options: UploadOptions = {},
  ): Promise<UploadResult> {
    return this.transfers.uploadToEndpoint(endpoint, body, options);
  }
  downloadFromEndpoint(
    endpoint: string | TransferEndpoint,
    options: DownloadOptions = {},
  ): Promise<DownloadResult> {
    return this.transfers.downloadFromEndpoint(endpoint, options);
  }
}
