/**
 * Lists a tar archive's members without reading their bodies: it hops from header to
 * header with positioned reads, so indexing a 50 GB OVA costs a few kilobytes of I/O.
 * Header blocks are decoded by tar-stream's own header codec (ustar prefix, base-256
 * sizes, checksums); PAX extended headers and GNU long names are applied to the member
 * that follows them.
 */
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SourceError } from './errors';

/** A member of the archive, as its headers describe it. */
export interface TarMember {
  /** Path as stored (after PAX `path` or a GNU long name), not yet checked for safety. */
  name: string;
  /** tar-stream's type name (`file`, `directory`, `symlink`, ...), or `typeflag X` if unknown. */
  type: string;
  /** Byte offset of the member's data in the archive. */
  offset: number;
  /** Bytes of data (after a PAX `size` override). */
  size: number;
}

interface DecodedHeader {
  name: string;
  size: number;
  type: string | null;
}

interface TarHeaders {
  decode(buf: Buffer, filenameEncoding: string, allowUnknownFormat: boolean): DecodedHeader | null;
  decodePax(buf: Buffer): Record<string, string>;
  decodeLongPath(buf: Buffer, encoding: string): string;
}

// tar-stream's `exports` map hides headers.js, so load it by path from the package's own
// directory: the same codec its extractor uses, without streaming the whole archive.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const headers = require(join(dirname(require.resolve('tar-stream')), 'headers.js')) as TarHeaders;

const BLOCK = 512;
/** PAX and GNU long-name bodies are a few hundred bytes; more means a corrupt or hostile archive. */
const MAX_META_BYTES = 1024 * 1024;
/** Far more members than any OVA has; bounds the work a hostile archive can cause. */
const MAX_MEMBERS = 100_000;

/** Every member of the tar archive open at `handle` (size `archiveSize`); `subject` names it in errors. */
export async function listTarMembers(
  handle: FileHandle,
  archiveSize: number,
  subject: string,
  path: string,
): Promise<TarMember[]> {
  const invalid = (why: string) => new SourceError('OVA_INVALID', `${subject} ${why}`, { path });
  const members: TarMember[] = [];
  const block = Buffer.alloc(BLOCK);
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let pos = 0;

  // A missing end-of-archive marker (two zero blocks) is tolerated when the last member is
  // complete: some writers omit it, and nothing is lost.
  while (pos < archiveSize) {
    if (pos + BLOCK > archiveSize) {
      throw invalid(
        `ends inside a tar header at byte ${pos} of ${archiveSize}; the archive is truncated, copy it again`,
      );
    }
    await readFully(handle, block, pos, path);
    let header: DecodedHeader | null;
    try {
      header = headers.decode(block, 'utf-8', true);
    } catch {
      if (pos === 0) {
        const gz = block[0] === 0x1f && block[1] === 0x8b;
        throw invalid(
          gz
            ? 'is gzip-compressed; an OVA is a plain tar archive, so gunzip it first'
            : 'is not a tar archive (its first header has a bad checksum); an OVA must be a tar of the OVF package',
        );
      }
      throw invalid(
        `has a corrupt tar header at byte ${pos} (bad checksum); the archive is damaged, copy it again`,
      );
    }
    if (header === null) break; // end-of-archive marker

    const isMeta =
      header.type === 'pax-header' ||
      header.type === 'pax-global-header' ||
      header.type?.startsWith('gnu-long');
    let size = header.size;
    if (!isMeta && pax.size !== undefined) {
      if (!/^\d+$/.test(pax.size))
        throw invalid(`has a PAX size of ${JSON.stringify(pax.size)} at byte ${pos}`);
      size = Number(pax.size);
    }
    if (!Number.isSafeInteger(size) || size < 0)
      throw invalid(`has an unreadable member size at byte ${pos}`);
    const offset = pos + BLOCK;
    const name = isMeta ? header.name : (pax.path ?? longName ?? header.name);
    if (offset + size > archiveSize) {
      throw invalid(
        `is truncated: member ${JSON.stringify(name)} needs bytes up to ${offset + size} but the archive has ${archiveSize}; copy it again`,
      );
    }

    switch (header.type) {
      case 'pax-header':
        pax = { ...pax, ...headers.decodePax(await readMeta(handle, offset, size, path, invalid)) };
        break;
      case 'pax-global-header':
      case 'gnu-long-link-path':
        break;
      case 'gnu-long-path':
        longName = headers.decodeLongPath(await readMeta(handle, offset, size, path, invalid), 'utf-8');
        break;
      default:
        if (members.length >= MAX_MEMBERS)
          throw invalid(`has more than ${MAX_MEMBERS} members; it is not an OVA`);
        members.push({
          name,
          type: header.type ?? `typeflag ${String.fromCharCode(block[156] ?? 0)}`,
          offset,
          size,
        });
        pax = {};
        longName = undefined;
    }
    pos = offset + Math.ceil(size / BLOCK) * BLOCK;
  }
  return members;
}

async function readMeta(
  handle: FileHandle,
  offset: number,
  size: number,
  path: string,
  invalid: (why: string) => SourceError,
): Promise<Buffer> {
  if (size > MAX_META_BYTES)
    throw invalid(`has a ${size}-byte extended header at byte ${offset}; the archive is corrupt`);
  const buf = Buffer.alloc(size);
  await readFully(handle, buf, offset, path);
  return buf;
}

/** Fills `buf` from `position` of the file at `path`; a positioned read may return fewer bytes than asked. */
export async function readFully(
  handle: FileHandle,
  buf: Buffer,
  position: number,
  path: string,
): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) {
      throw new SourceError(
        'OVA_INVALID',
        `${path} ended at byte ${position + done}, before the size it had when planning started; it is being changed, so wait and plan again`,
        { path, retryable: true },
      );
    }
    done += bytesRead;
  }
}
