/**
 * How a caller names the certificate of a server the vCenter (or the worker) fetches from, and
 * the checksums a pulled file is verified against: the wire's `TransferEndpoint` and
 * `File.ChecksumInfo` as workflow input. Schemas only (workflow code may import them).
 */
import { z } from 'zod';

/** What a thumbprint may look like, for messages (tls.ts `THUMBPRINT_FORMS` says the same). */
const FORMS =
  'a SHA-1 thumbprint (40 hex digits) or a SHA-256 one (64 hex digits), plain or colon-separated (AA:BB:...)';

/**
 * `ssl_certificate_thumbprint`: the seeds and 8.0.2 define it as the SHA-1 of the certificate's
 * DER encoding; later releases print SHA-256. The length says which.
 */
export const SslCertificateThumbprint = z
  .string()
  .regex(
    /^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}|(?:[0-9A-Fa-f]{2}:){19}[0-9A-Fa-f]{2}|(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})$/,
    { message: `expected ${FORMS}` },
  );

/**
 * `ssl_certificate` (later releases' `TransferEndpoint`): the server's own certificate as PEM,
 * pinned instead of the thumbprint when both are given. Only the armour is checked here (the
 * workflow sandbox cannot parse X.509); planning parses it.
 */
export const SslCertificatePem = z
  .string()
  .max(64 * 1024, { message: 'expected one PEM certificate of at most 64 KiB' })
  .regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, {
    message: 'expected a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)',
  });

/** Hex digits of each `File.ChecksumAlgorithm` digest. */
const HEX_DIGITS = { SHA1: 40, MD5: 32, SHA256: 64, SHA512: 128 } as const;

/**
 * A checksum as `File.ChecksumInfo`, lowercase or uppercase hex. The seeds (6.6.1) list SHA1
 * (the default) and MD5; 8.0.2's `ContentLibraryItemFileChecksumAlgorithm` adds SHA256 and
 * SHA512, which an older vCenter refuses as an invalid argument.
 */
export const SourceChecksum = z
  .object({
    algorithm: z.enum(['SHA1', 'MD5', 'SHA256', 'SHA512']).default('SHA1'),
    checksum: z.string().regex(/^[0-9a-fA-F]+$/, { message: 'expected a hex digest' }),
  })
  .superRefine((v, ctx) => {
    const want = HEX_DIGITS[v.algorithm];
    if (/^[0-9a-fA-F]+$/.test(v.checksum) && v.checksum.length !== want) {
      ctx.addIssue({
        code: 'custom',
        path: ['checksum'],
        message: `a ${v.algorithm} checksum is ${want} hex digits, got ${v.checksum.length}`,
      });
    }
  });
export type SourceChecksum = z.infer<typeof SourceChecksum>;
