/**
 * The three kinds of sync source behind one interface: ordered keys (the sync pages
 * through them, so a huge source never has to fit in one workflow history), and for each
 * key what the item would be, a cheap change key, and, where it can be had, the content's
 * SHA-1s.
 */
import { SYNC_PLAIN_HTTP_FLAG, type SyncIgnored, type SyncSource } from '../../workflows/definitions/sync';
import { plainHttpProblem, urlSecretsProblem } from '../../workflows/definitions/url-secrets';
import type { UploadSource } from '../../workflows/definitions/upload';
import { AllowedPaths, isPathNotAllowed } from '../allowed-paths';
import { isContentLibraryError, type ContentLibraryClient } from '../content-library';
import { failureTypeOf } from '../failures';
import { currentFiles } from '../relay-file';
import { planSource, SourceError } from '../sources';
import {
  catalogKey,
  catalogUploadSource,
  catalogVersion,
  hashPlannedFiles,
  ignoredFiles,
  planCatalogEntry,
  scanCatalog,
  type CatalogEntry,
  type CatalogScan,
} from './catalog';
import { fetchIndex } from './http-index';
import { versionKey, type ExpectedFile } from './stamp';

/** A file the worker streams to check it before the vCenter pulls it (index sources). */
export interface UrlCheck {
  url: string;
  size: number;
  sha256: string;
  sslCertificateThumbprint?: string;
}

/** What one source entry would become. */
export interface Candidate {
  name: string;
  /** The entry cannot become an item: reported as failed, with this reason. */
  error?: { reason: string; type: string };
  /** The entry is not an item at all (an empty source item): reported as ignored. */
  ignore?: string;
  upload?: UploadSource;
  /** Item type for a new item. @default the upload saga's, from the source */
  type?: string;
  /** Files with sizes (and SHA-1s when known without reading). */
  files?: ExpectedFile[];
  /** The cheap change key (see stamp.ts `v`). */
  version?: string;
  /** The files with SHA-1s; absent when they cannot be known without transferring the bytes. */
  content?: (onProgress: () => void) => Promise<ExpectedFile[]>;
  verify?: UrlCheck;
}

export interface SourceReader {
  /** Every entry's key, sorted (plain string order), unique. */
  keys(): Promise<string[]>;
  describe(key: string): Promise<Candidate>;
  /** Every item name the source has, for prune. */
  names(): Promise<Set<string>>;
  /** Source entries that are not items (catalog files of no known kind). */
  ignored(): Promise<SyncIgnored[]>;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function failure(name: string, err: unknown): Candidate {
  if (err instanceof SourceError || isPathNotAllowed(err))
    return { name, error: { reason: err.message, type: failureTypeOf(err) } };
  throw err;
}

class CatalogReader implements SourceReader {
  private scan?: CatalogScan;
  private byKey = new Map<string, CatalogEntry>();
  private counts = new Map<string, CatalogEntry[]>();

  constructor(
    private readonly root: string,
    private readonly allowed: AllowedPaths,
  ) {}

  private async load(): Promise<CatalogScan> {
    if (!this.scan) {
      // Before a single entry is read: the whole sync fails when the catalog is not the worker's to read.
      await this.allowed.checkReadDirectory(this.root, 'source.path');
      this.scan = await scanCatalog(this.root, this.allowed);
      for (const e of this.scan.entries) {
        this.byKey.set(catalogKey(e), e);
        this.counts.set(e.name, [...(this.counts.get(e.name) ?? []), e]);
      }
    }
    return this.scan;
  }

  async keys(): Promise<string[]> {
    return (await this.load()).entries.map(catalogKey);
  }

  async describe(key: string): Promise<Candidate> {
    await this.load();
    const entry = this.byKey.get(key);
    if (!entry) throw new Error(`no catalog entry ${key}`);
    const same = this.counts.get(entry.name) ?? [];
    if (same.length > 1) {
      return {
        name: entry.name,
        error: {
          type: 'DuplicateName',
          reason: `${same.length} catalog files map to item name "${entry.name}" (${same.map((e) => e.rel).join(', ')}); rename all but one`,
        },
      };
    }
    try {
      const plan = await planCatalogEntry(entry, this.allowed);
      return {
        name: entry.name,
        upload: catalogUploadSource(entry),
        files: plan.files.map((f) => ({ name: f.name, size: f.size ?? 0 })),
        version: await catalogVersion(this.root, plan),
        content: async (onProgress) => hashPlannedFiles(plan, onProgress),
      };
    } catch (err) {
      return failure(entry.name, err);
    }
  }

  async names(): Promise<Set<string>> {
    return new Set((await this.load()).entries.map((e) => e.name));
  }

  async ignored(): Promise<SyncIgnored[]> {
    const scan = await this.load();
    return [
      ...(await ignoredFiles(this.root, scan, this.allowed)).map((path) => ({
        path,
        reason: 'not an OVA, OVF or ISO, and no OVF references it',
      })),
      ...scan.outside.map((path) => ({
        path,
        reason: "a symbolic link out of the worker's read roots (CLO_READ_ROOTS), not followed",
      })),
    ].sort((a, b) => compare(a.path, b.path));
  }
}

class LibraryReader implements SourceReader {
  constructor(
    private readonly client: ContentLibraryClient,
    private readonly vcenter: string,
    private readonly libraryId: string,
  ) {}

  async keys(): Promise<string[]> {
    return [...new Set(await this.client.listLibraryItems(this.libraryId))].sort(compare);
  }

  async describe(id: string): Promise<Candidate> {
    let item;
    try {
      item = await this.client.getLibraryItem(id);
    } catch (err) {
      if (isContentLibraryError(err) && err.code === 'NOT_FOUND')
        return { name: id, ignore: 'deleted from the source library while the sync ran' };
      throw err;
    }
    const listed = currentFiles(await this.client.listLibraryItemFiles(id));
    if (listed.length === 0)
      return { name: item.name, ignore: 'the source item has no files (a VM template cannot be copied)' };
    const files: ExpectedFile[] = listed.map((f) => {
      const sha1 =
        f.checksum_info && (f.checksum_info.algorithm ?? 'SHA1') === 'SHA1'
          ? f.checksum_info.checksum.toLowerCase()
          : undefined;
      return { name: f.name, size: f.size, ...(sha1 ? { sha1 } : {}) };
    });
    const known = files.every((f) => f.sha1);
    return {
      name: item.name,
      upload: { kind: 'library-item', vcenter: this.vcenter, itemId: id },
      ...(item.type ? { type: item.type } : {}),
      files,
      // vcsim never bumps the content version, so the file list (with sizes, and checksums where reported) is part of the key.
      version: versionKey([item.content_version ?? '', files.map((f) => [f.name, f.size, f.sha1 ?? ''])]),
      ...(known ? { content: () => Promise.resolve(files) } : {}),
    };
  }

  async names(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const id of await this.keys()) {
      try {
        names.add((await this.client.getLibraryItem(id)).name);
      } catch (err) {
        if (!(isContentLibraryError(err) && err.code === 'NOT_FOUND')) throw err;
      }
    }
    return names;
  }

  ignored(): Promise<SyncIgnored[]> {
    return Promise.resolve([]);
  }
}

class IndexReader implements SourceReader {
  private entries?: Awaited<ReturnType<typeof fetchIndex>>;

  constructor(private readonly source: Extract<SyncSource, { kind: 'index' }>) {}

  private async load() {
    this.entries ??= (await fetchIndex(this.source.url, this.source.sslCertificateThumbprint)).sort((a, b) =>
      compare(a.name, b.name),
    );
    return this.entries;
  }

  // Entries keep their index position in the key, so duplicate names still have distinct keys.
  async keys(): Promise<string[]> {
    return (await this.load()).map((e, i) => `${e.name}\u0000${String(i).padStart(8, '0')}`);
  }

  async describe(key: string): Promise<Candidate> {
    const entries = await this.load();
    const entry = entries[Number(key.split('\u0000')[1])];
    if (!entry) throw new Error(`no index entry ${key}`);
    if (entries.filter((e) => e.name === entry.name).length > 1) {
      return {
        name: entry.name,
        error: { type: 'DuplicateName', reason: `the index lists "${entry.name}" more than once` },
      };
    }
    // The entry's URL would go into the item's upload saga (its history) and to the vCenter:
    // refused here, before the plan (which is kept in history too) carries it.
    const field = `the url of index entry "${entry.name}"`;
    const problem =
      urlSecretsProblem(entry.url, field) ??
      plainHttpProblem(entry.url, field, this.source.allowPlainHttp, SYNC_PLAIN_HTTP_FLAG);
    if (problem) return { name: entry.name, error: { type: 'SourceError', reason: problem } };
    const upload: UploadSource = {
      kind: 'url',
      url: entry.url,
      size: entry.size,
      // The index source's allowPlainHttp covers the files it lists.
      ...(this.source.allowPlainHttp && /^http:/i.test(entry.url) ? { allowPlainHttp: true } : {}),
      ...(entry.sha1 ? { checksum: { algorithm: 'SHA1' as const, checksum: entry.sha1 } } : {}),
      ...(this.source.sslCertificateThumbprint
        ? { sslCertificateThumbprint: this.source.sslCertificateThumbprint }
        : {}),
    };
    try {
      const plan = await planSource(upload);
      return {
        name: entry.name,
        upload,
        ...(entry.type ? { type: entry.type } : {}),
        files: plan.files.map((f) => ({
          name: f.name,
          size: entry.size,
          ...(entry.sha1 ? { sha1: entry.sha1 } : {}),
        })),
        // The SHA-256 names the content: an entry whose URL moved but whose bytes did not is not pulled again.
        version: versionKey(['sha256', entry.sha256, entry.size]),
        ...(this.source.verify
          ? {
              verify: {
                url: entry.url,
                size: entry.size,
                sha256: entry.sha256,
                ...(this.source.sslCertificateThumbprint
                  ? { sslCertificateThumbprint: this.source.sslCertificateThumbprint }
                  : {}),
              },
            }
          : {}),
      };
    } catch (err) {
      return failure(entry.name, err);
    }
  }

  async names(): Promise<Set<string>> {
    return new Set((await this.load()).map((e) => e.name));
  }

  ignored(): Promise<SyncIgnored[]> {
    return Promise.resolve([]);
  }
}

/** The reader for `source`; a library source needs its client and its resolved id. */
export function sourceReader(
  source: SyncSource,
  library?: { client: ContentLibraryClient; libraryId: string },
  allowed: AllowedPaths = new AllowedPaths(),
): SourceReader {
  switch (source.kind) {
    case 'catalog':
      return new CatalogReader(source.path.replace(/\/+$/, '') || '/', allowed);
    case 'index':
      return new IndexReader(source);
    case 'library':
      if (!library) throw new Error('a library source needs its resolved library id');
      return new LibraryReader(library.client, source.vcenter, library.libraryId);
  }
}
