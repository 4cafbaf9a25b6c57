/**
 * OVF manifests (`.mf`): parsing the `ALGO(name)= hex` lines into per-file digests,
 * and the incremental digester the transfer activity uses to hash bytes as they
 * stream, so a file is read once for both the upload and its checksum.
 */
import { createHash, type Hash } from 'node:crypto';
import { z } from 'zod';
import { SourceError } from './errors';

/** Digest algorithms an OVF manifest may use. */
export const ManifestAlgorithm = z.enum(['SHA1', 'SHA256', 'SHA512']);
export type ManifestAlgorithm = z.infer<typeof ManifestAlgorithm>;

/** A file's digest as the manifest states it; `hex` is lowercase. */
export const ManifestDigest = z.object({ algorithm: ManifestAlgorithm, hex: z.string() });
export type ManifestDigest = z.infer<typeof ManifestDigest>;

/** Algorithms {@link createDigester} can compute: the manifest's, plus MD5 for Content Library checksums. */
export type DigestAlgorithm = ManifestAlgorithm | 'MD5';

const HEX_LENGTH: Record<ManifestAlgorithm, number> = { SHA1: 40, SHA256: 64, SHA512: 128 };
const NODE_NAME: Record<DigestAlgorithm, string> = {
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA512: 'sha512',
  MD5: 'md5',
};

// `SHA256(disk1.img)= ab12…`; tools differ on the space after `=`, and a file name may itself
// contain parentheses, so the name runs to the last `)` before `=`.
const LINE = /^([A-Za-z0-9]+)\((.*)\)\s*=\s*(\S*)\s*$/;
const EXPECTED = 'expected "SHA256(name)= <hex>" (or SHA1, SHA512)';

/** Parses manifest text into digests by file name; `where` is the manifest's path, for messages. */
export function parseManifest(text: string, where: string): Map<string, ManifestDigest> {
  const digests = new Map<string, ManifestDigest>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const lineNo = index + 1;
    const malformed = (why: string) =>
      new SourceError('MANIFEST_MALFORMED', `manifest ${where} line ${lineNo} is malformed: ${why}`, {
        path: where,
      });
    const m = LINE.exec(line);
    if (!m) throw malformed(`${EXPECTED}, got ${JSON.stringify(truncate(line))}`);
    const [, algo = '', name = '', hex = ''] = m;
    const algorithm = ManifestAlgorithm.safeParse(algo.toUpperCase());
    if (!algorithm.success)
      throw malformed(`${EXPECTED}; algorithm ${JSON.stringify(algo)} is not supported`);
    const want = HEX_LENGTH[algorithm.data];
    if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== want) {
      throw malformed(
        `${EXPECTED}; a ${algorithm.data} digest is ${want} hex digits, got ${JSON.stringify(truncate(hex))}`,
      );
    }
    if (name === '') throw malformed(`${EXPECTED}; the file name is empty`);
    const digest = { algorithm: algorithm.data, hex: hex.toLowerCase() };
    const earlier = digests.get(name);
    if (earlier && (earlier.algorithm !== digest.algorithm || earlier.hex !== digest.hex)) {
      throw malformed(
        `${JSON.stringify(name)} is listed twice with different digests; keep one line per file`,
      );
    }
    digests.set(name, digest);
  });
  return digests;
}

/** The hex digest of `data` under a manifest algorithm. */
export function digestOf(algorithm: DigestAlgorithm, data: Uint8Array): string {
  return createHash(NODE_NAME[algorithm]).update(data).digest('hex');
}

/** Hashes a byte stream under several algorithms at once; see {@link createDigester}. */
export interface Digester<A extends DigestAlgorithm> {
  /** Feeds the next chunk, in stream order. */
  update(chunk: Uint8Array): void;
  /** Lowercase hex digest per algorithm; ends hashing, so call it once the stream is done (repeat calls return the same). */
  digests(): Record<A, string>;
}

/** A {@link Digester} for the given algorithms (duplicates are hashed once). */
export function createDigester<A extends DigestAlgorithm>(algorithms: readonly A[]): Digester<A> {
  const hashes = new Map<A, Hash>();
  for (const a of algorithms) if (!hashes.has(a)) hashes.set(a, createHash(NODE_NAME[a]));
  let done: Record<A, string> | undefined;
  return {
    update(chunk) {
      if (done) throw new Error('Digester.update() called after digests()');
      for (const h of hashes.values()) h.update(chunk);
    },
    digests() {
      if (!done) {
        const out = {} as Record<A, string>;
        for (const [a, h] of hashes) out[a] = h.digest('hex');
        done = out;
      }
      return { ...done };
    },
  };
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
