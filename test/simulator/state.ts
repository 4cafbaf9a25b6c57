/**
 * The simulator's in-memory model: logins, libraries, items and their stored files, update and
 * download sessions, and the lifecycle that the docs impose on sessions (activity, expiry, ending).
 * Route files implement the operations; this file owns the data and the cleanup paths they share.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { LocalizableMessage } from './errors';
import { fail } from './errors';

/** A stored file's bytes on disk, shared by an item and the download sessions that snapshot it. */
export class Blob {
  refs = 0;
  constructor(
    readonly path: string,
    readonly size: number,
    readonly sha1: string,
  ) {}
}

export interface StorageBacking {
  type: 'DATASTORE';
  datastore_id: string;
}

export interface Library {
  id: string;
  name: string;
  description: string;
  storage_backings: StorageBacking[];
  creation_time: number;
  last_modified_time: number;
  version: number;
  server_guid: string;
}

export interface ItemFile {
  name: string;
  blob: Blob;
  version: number;
}

export interface Item {
  id: string;
  library_id: string;
  name: string;
  type: string;
  description: string;
  content_version: number;
  metadata_version: number;
  creation_time: number;
  last_modified_time: number;
  files: Map<string, ItemFile>;
}

/** 6.6.1 (seed 001): SHA1, MD5; api-8.0.2 ContentLibraryItemFileChecksumAlgorithm adds SHA256, SHA512. */
export type ChecksumAlgorithm = 'SHA1' | 'MD5' | 'SHA256' | 'SHA512';
export interface ChecksumInfo {
  algorithm: ChecksumAlgorithm;
  checksum: string;
}
export interface TransferEndpoint {
  uri: string;
  ssl_certificate_thumbprint?: string;
  /** PEM; later releases than 8.0.2 (whose thumbprint text already defers to `sslCertificate`). */
  ssl_certificate?: string;
}

export type UpdateSessionState = 'ACTIVE' | 'DONE' | 'ERROR' | 'CANCELED';
export type TransferStatus = 'WAITING_FOR_TRANSFER' | 'TRANSFERRING' | 'VALIDATING' | 'READY' | 'ERROR';

/** A file added to an update session (PUSH or PULL). */
export interface UpdateFile {
  name: string;
  source_type: 'PUSH' | 'PULL';
  size?: number;
  checksum_info?: ChecksumInfo;
  source_endpoint?: TransferEndpoint;
  transferId: string;
  tempPath: string;
  status: TransferStatus;
  bytes_transferred: number;
  error_message?: LocalizableMessage;
  /** Size and SHA-1 of what was received, once READY. */
  received?: { size: number; sha1: string };
  /** Aborts the transfer in flight (PUT socket or PULL request), if any. */
  abort?: () => void;
  /** Set when the session discarded this file; late stream callbacks must not resurrect it. */
  discarded: boolean;
}

/** An item file as the update session saw it at creation. */
export interface SnapshotFile {
  name: string;
  size: number;
  sha1: string;
  version: number;
  blob: Blob;
}

export interface UpdateSession {
  kind: 'update';
  id: string;
  library_item_id: string;
  library_item_content_version: string;
  client_progress: number;
  state: UpdateSessionState;
  error_message?: LocalizableMessage;
  lastActivity: number;
  snapshot: Map<string, SnapshotFile>;
  added: Map<string, UpdateFile>;
  removed: Set<string>;
  /** complete was accepted while PULLs were still running; they finish it. */
  completing: boolean;
  clientToken?: string;
  /** api-8.0.2 UpdateSessionModel.warning_behavior: set at create or by update (PATCH). */
  warning_behavior: WarningBehavior[];
  /** The certificate analysis of the preview, kept while the `.cert` file it came from is unchanged. */
  preview?: { key: string; analysis: CertificateAnalysis };
}

/** api-8.0.2 ContentLibraryItemUpdatesessionWarningType. */
export const WARNING_TYPES = [
  'SELF_SIGNED_CERTIFICATE',
  'EXPIRED_CERTIFICATE',
  'NOT_YET_VALID_CERTIFICATE',
  'UNTRUSTED_CERTIFICATE',
] as const;
export type WarningType = (typeof WARNING_TYPES)[number];

export interface WarningBehavior {
  type: WarningType;
  ignored: boolean;
}

/** What the preview found in a signed package's certificate (ContentLibraryItemUpdatesessionCertificateInfo). */
export interface CertificateAnalysis {
  certificate_info?: { issuer: string; subject: string; self_signed: boolean; x509: string };
  cert_chain?: string[];
  warnings: Array<{ type: WarningType; message: LocalizableMessage }>;
}

export type DownloadSessionState = 'ACTIVE' | 'CANCELED' | 'ERROR';
export type PrepareStatus = 'UNPREPARED' | 'PREPARE_REQUESTED' | 'PREPARING' | 'PREPARED' | 'ERROR';

export interface DownloadFile {
  name: string;
  blob: Blob;
  status: PrepareStatus;
  endpoint_type?: 'HTTPS' | 'DIRECT';
  bytes_transferred: number;
  /** Byte ranges [start, end) the server has sent; checksum_info appears once they cover the file. */
  served: Array<[number, number]>;
  complete: boolean;
  error_message?: LocalizableMessage;
  timers: NodeJS.Timeout[];
}

export interface DownloadSession {
  kind: 'download';
  id: string;
  library_item_id: string;
  library_item_content_version: string;
  client_progress: number;
  state: DownloadSessionState;
  error_message?: LocalizableMessage;
  lastActivity: number;
  files: Map<string, DownloadFile>;
  /** Abort callbacks of GETs in flight. */
  transfers: Set<() => void>;
  clientToken?: string;
}

export type AnySession = UpdateSession | DownloadSession;

export interface Login {
  token: string;
  user: string;
  created: number;
  lastAccessed: number;
}

/** An upload URL's target. Download URLs are `<download session id>/<file name>`, as vcsim builds them. */
export interface Transfer {
  kind: 'upload';
  session: UpdateSession;
  file: UpdateFile;
}

/** What happened to a session that no longer exists. */
export interface EndedSession {
  kind: 'update' | 'download';
  id: string;
  library_item_id: string;
  state: string;
  ended: 'deleted' | 'expired';
}

interface TokenEntry {
  kind: string;
  id: string;
  specKey: string;
}

export interface StoreOptions {
  dataDir: string;
  idleTimeoutMs: number;
}

export class Store {
  readonly logins = new Map<string, Login>();
  readonly libraries = new Map<string, Library>();
  readonly items = new Map<string, Item>();
  readonly updateSessions = new Map<string, UpdateSession>();
  readonly downloadSessions = new Map<string, DownloadSession>();
  readonly transfers = new Map<string, Transfer>();
  readonly ended = new Map<string, EndedSession>();
  private readonly tokens = new Map<string, TokenEntry>();

  constructor(readonly opts: StoreOptions) {
    fs.mkdirSync(this.uploadDir(), { recursive: true });
  }

  now(): number {
    return Date.now();
  }

  uploadDir(): string {
    return path.join(this.opts.dataDir, '.uploads');
  }

  /** Where a committed file lives: one directory per stored copy, so older copies survive for download sessions. */
  newBlobPath(item: Item, name: string): string {
    return path.join(this.opts.dataDir, `contentlib-${item.library_id}`, item.id, randomUUID(), name);
  }

  acquire(blob: Blob): Blob {
    blob.refs++;
    return blob;
  }

  /** Drops one reference; the bytes are deleted when neither an item nor a download session needs them. */
  release(blob: Blob): void {
    blob.refs--;
    if (blob.refs > 0) return;
    fs.rmSync(blob.path, { force: true });
    try {
      fs.rmdirSync(path.dirname(blob.path));
    } catch {
      /* not empty or already gone */
    }
  }

  // ---- sessions: activity and expiry -------------------------------------------------------

  /** Records activity on a session (rule US_EXPIRY / DS_EXPIRY). */
  touch(session: AnySession): void {
    session.lastActivity = this.now();
  }

  expiresAt(session: AnySession): number {
    return session.lastActivity + this.opts.idleTimeoutMs;
  }

  /**
   * Deletes every session idle past the timeout.
   * US_EXPIRY (seeds/001_c9448fe9d76cab6f.txt): "If there is no activity for an update session after a
   * period of time, the update session will expire, then be deleted."
   * US_FINISHED_CLEANUP (001): "Update sessions for which there is no upload activity or which are
   * complete will automatically be deleted after a period of time."
   * DS_EXPIRY (001): "Download sessions for which there is no download activity or which are complete
   * will automatically be expired and then deleted after a period of time."
   */
  sweep(): void {
    const now = this.now();
    for (const s of [...this.updateSessions.values()])
      if (this.expiresAt(s) <= now) this.endUpdateSession(s, 'expired');
    for (const s of [...this.downloadSessions.values()])
      if (this.expiresAt(s) <= now) this.endDownloadSession(s, 'expired');
  }

  getUpdateSession(id: string): UpdateSession {
    const s = this.updateSessions.get(id);
    // SESSION_NOT_FOUND (001): "NotFound if no update session with the given identifier exists."
    if (!s) return fail('not_found', 'SESSION_NOT_FOUND', `update session ${id} does not exist`, [id]);
    return s;
  }

  getDownloadSession(id: string): DownloadSession {
    const s = this.downloadSessions.get(id);
    // SESSION_NOT_FOUND (003): "404 | not_found | if the download session does not exist."
    if (!s) return fail('not_found', 'SESSION_NOT_FOUND', `download session ${id} does not exist`, [id]);
    return s;
  }

  getItem(id: string): Item {
    const item = this.items.get(id);
    if (!item) return fail('not_found', 'GENERAL', `library item ${id} does not exist`, [id]);
    return item;
  }

  getLibrary(id: string): Library {
    const lib = this.libraries.get(id);
    if (!lib) return fail('not_found', 'GENERAL', `library ${id} does not exist`, [id]);
    return lib;
  }

  /**
   * Aborts a file's transfer and deletes what it received (cancel, fail, expiry, replacement).
   * The upload URL stays mapped until the session ends, so a late PUT learns the session's state.
   */
  discardUpdateFile(file: UpdateFile): void {
    file.discarded = true;
    const abort = file.abort;
    file.abort = undefined;
    abort?.();
    fs.rmSync(file.tempPath, { force: true });
  }

  /** Discards every received file of a session; the session record itself stays. */
  discardUpdateContent(session: UpdateSession): void {
    for (const file of session.added.values()) this.discardUpdateFile(file);
  }

  /** Removes an update session for good (delete or expiry). */
  endUpdateSession(session: UpdateSession, ended: EndedSession['ended']): void {
    this.discardUpdateContent(session);
    for (const file of session.added.values()) this.transfers.delete(file.transferId);
    for (const f of session.snapshot.values()) this.release(f.blob);
    session.snapshot.clear();
    this.updateSessions.delete(session.id);
    this.forgetToken(session.id);
    this.ended.set(session.id, {
      kind: 'update',
      id: session.id,
      library_item_id: session.library_item_id,
      state: session.state,
      ended,
    });
  }

  /** Aborts GETs in flight and stops pending prepares of a download session. */
  stopDownloadActivity(session: DownloadSession): void {
    for (const abort of [...session.transfers]) abort();
    session.transfers.clear();
    for (const f of session.files.values()) {
      for (const t of f.timers) clearTimeout(t);
      f.timers = [];
    }
  }

  /** Removes a download session for good (delete or expiry). */
  endDownloadSession(session: DownloadSession, ended: EndedSession['ended']): void {
    this.stopDownloadActivity(session);
    for (const f of session.files.values()) this.release(f.blob);
    this.downloadSessions.delete(session.id);
    this.forgetToken(session.id);
    this.ended.set(session.id, {
      kind: 'download',
      id: session.id,
      library_item_id: session.library_item_id,
      state: session.state,
      ended,
    });
  }

  /** Ends everything (server close): aborts transfers and timers. */
  shutdown(): void {
    for (const s of [...this.updateSessions.values()]) this.discardUpdateContent(s);
    for (const s of [...this.downloadSessions.values()]) this.stopDownloadActivity(s);
  }

  // ---- client tokens -----------------------------------------------------------------------

  /**
   * CLIENT_TOKEN_IDEMPOTENT (001): "This token can be used to guarantee idempotent creation."
   * Returns the id an earlier create with this token produced, if that resource still exists.
   */
  lookupToken(kind: string, token: string | undefined, specKey: string): string | undefined {
    if (token === undefined) return undefined;
    const entry = this.tokens.get(`${kind}:${token.toLowerCase()}`);
    if (!entry) return undefined;
    if (entry.specKey !== specKey)
      fail(
        'invalid_argument',
        'CLIENT_TOKEN_IDEMPOTENT',
        `client_token ${token} was already used with a different create_spec`,
        [token],
      );
    return entry.id;
  }

  rememberToken(kind: string, token: string | undefined, specKey: string, id: string): void {
    if (token !== undefined) this.tokens.set(`${kind}:${token.toLowerCase()}`, { kind, id, specKey });
  }

  /** Forgets tokens that point at `id` (the resource is gone, so a retry may create anew). */
  forgetToken(id: string): void {
    for (const [key, entry] of this.tokens) if (entry.id === id) this.tokens.delete(key);
  }
}
