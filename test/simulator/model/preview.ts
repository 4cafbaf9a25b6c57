/**
 * The preview of a signed OVF package in an update session (api-8.0.2
 * ContentLibraryItemUpdatesessionPreviewInfo) and the warnings that fail `complete` unless
 * warning_behavior marks them ignored. OVF packages carry `<name>.cert`: the manifest's signature line
 * and a PEM X.509 certificate (chain); node:crypto's X509Certificate reads it.
 */
import fs from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { SimContext } from '../context';
import { message } from '../errors';
import type { LocalizableMessage } from '../errors';
import { WARNING_TYPES } from '../state';
import type { CertificateAnalysis, UpdateSession, WarningBehavior, WarningType } from '../state';
import { parseBody } from '../wire';

export type PreviewState = 'UNAVAILABLE' | 'NOT_APPLICABLE' | 'PREPARING' | 'AVAILABLE';

export interface PreviewInfo extends Omit<CertificateAnalysis, 'warnings'> {
  state: PreviewState;
  warnings?: Array<{ type: WarningType; message: LocalizableMessage; ignored: boolean }>;
}

const MAX_CERT_FILE = 1 << 20;

/** WARNING_BEHAVIOR_SPEC: `[{type, ignored}]` with type from ContentLibraryItemUpdatesessionWarningType. */
const WarningBehaviorSpec = z.array(z.object({ type: z.enum(WARNING_TYPES), ignored: z.boolean() }));

export function parseWarningBehavior(raw: unknown): WarningBehavior[] {
  const list = parseBody(WarningBehaviorSpec, raw, 'WARNING_BEHAVIOR_SPEC');
  // One entry per type: a later entry for the same type wins.
  return [...new Map(list.map((w) => [w.type, w])).values()];
}

interface SessionFile {
  name: string;
  ready: boolean;
  path: string;
  /** Changes whenever the file's content may have changed (a new add, a new PUT). */
  key: string;
}

/** The session's files as complete would see them: the snapshot minus removals, overlaid by added files. */
function sessionFiles(s: UpdateSession): SessionFile[] {
  const files: SessionFile[] = [];
  for (const f of s.snapshot.values())
    if (!s.removed.has(f.name) && !s.added.has(f.name))
      files.push({ name: f.name, ready: true, path: f.blob.path, key: `item:${f.name}:${f.sha1}` });
  for (const f of s.added.values())
    files.push({
      name: f.name,
      ready: f.status === 'READY',
      path: f.tempPath,
      key: `${f.transferId}:${f.received?.sha1 ?? ''}`,
    });
  return files;
}

const WARNING_TEXT: Record<WarningType, [string, string]> = {
  // Ids and texts of the first two as vCenter reports them (vmware/vsphere-automation-sdk-java#78).
  SELF_SIGNED_CERTIFICATE: ['CERTIFICATE_SELF_SIGNED', 'The certificate is self-signed.'],
  UNTRUSTED_CERTIFICATE: ['CERTIFICATE_UNTRUSTED', 'The certificate is not trusted.'],
  EXPIRED_CERTIFICATE: ['CERTIFICATE_EXPIRED', 'The certificate has expired.'],
  NOT_YET_VALID_CERTIFICATE: ['CERTIFICATE_NOT_YET_VALID', 'The certificate is not yet valid.'],
};

function warning(type: WarningType, detail?: string): CertificateAnalysis['warnings'][number] {
  const [id, text] = WARNING_TEXT[type];
  return {
    type,
    message: message(
      `com.vmware.vdcs.vsphere-cs-lib.${id}`,
      detail ? `${text} ${detail}` : text,
      detail ? [detail] : [],
    ),
  };
}

/** "C=US/ST=California/.../CN=name", the form of the CertificateInfo.subject example. */
function distinguishedName(text: string): string {
  return text.split('\n').filter(Boolean).join('/');
}

/**
 * `cert` names `issuer` as its issuer and carries its signature. By name and signature rather than
 * checkIssued(), which (as OpenSSL's X509_check_issued) also wants keyCertSign, which self-signed leaf
 * certificates usually lack.
 */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.issuer === issuer.subject && cert.verify(issuer.publicKey);
}

/** True when `anchors` vouch for `leaf`, directly or through the other certificates the file carries. */
function trusted(leaf: X509Certificate, chain: X509Certificate[], anchors: X509Certificate[]): boolean {
  let current = leaf;
  for (let depth = 0; depth <= chain.length; depth++) {
    if (anchors.some((a) => a.fingerprint256 === current.fingerprint256)) return true;
    if (anchors.some((a) => issuedBy(current, a))) return true;
    const issuer = chain.find((c) => c !== current && issuedBy(current, c));
    if (!issuer) return false;
    current = issuer;
  }
  return false;
}

/**
 * PREVIEW_CERTIFICATE: certificate_info and warnings from the `.cert` file: SELF_SIGNED_CERTIFICATE when
 * the certificate issued and signed itself, EXPIRED_CERTIFICATE / NOT_YET_VALID_CERTIFICATE against its
 * validity, UNTRUSTED_CERTIFICATE unless a trusted certificate (trustedCertificates) vouches for it.
 */
export function analyseCertificate(sim: SimContext, text: string, now: number): CertificateAnalysis {
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  let chain: X509Certificate[];
  try {
    chain = pems.map((p) => new X509Certificate(p));
  } catch {
    chain = [];
  }
  const leaf = chain[0];
  // Decision: a `.cert` without a readable certificate is a signature nobody can vouch for.
  if (!leaf) return { warnings: [warning('UNTRUSTED_CERTIFICATE', 'No X.509 certificate could be read.')] };
  const selfSigned = issuedBy(leaf, leaf);
  const warnings: CertificateAnalysis['warnings'] = [];
  if (selfSigned) warnings.push(warning('SELF_SIGNED_CERTIFICATE'));
  if (Date.parse(leaf.validTo) < now)
    warnings.push(warning('EXPIRED_CERTIFICATE', `Valid to ${leaf.validTo}.`));
  if (Date.parse(leaf.validFrom) > now)
    warnings.push(warning('NOT_YET_VALID_CERTIFICATE', `Valid from ${leaf.validFrom}.`));
  if (!trusted(leaf, chain.slice(1), sim.trustedCertificates))
    warnings.push(warning('UNTRUSTED_CERTIFICATE'));
  return {
    certificate_info: {
      issuer: distinguishedName(leaf.issuer),
      subject: distinguishedName(leaf.subject),
      self_signed: selfSigned,
      x509: leaf.toString(),
    },
    cert_chain: chain.map((c) => c.raw.toString('base64')),
    warnings,
  };
}

function readBounded(file: string): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(fs.fstatSync(fd).size, MAX_CERT_FILE));
      fs.readSync(fd, buf, 0, buf.length, 0);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * PREVIEW_STATES (UpdateSessionModel.preview_info: "set only when the session is in the ACTIVE"):
 * no `.ovf` yet: UNAVAILABLE for an ovf item, NOT_APPLICABLE for other items; descriptor or `.cert` not
 * yet received: PREPARING; descriptor received without a `.cert`: NOT_APPLICABLE (unsigned); both
 * received: AVAILABLE with the certificate and its warnings (each `ignored` per warning_behavior).
 */
export function previewInfo(sim: SimContext, s: UpdateSession): PreviewInfo | undefined {
  if (s.state !== 'ACTIVE') return undefined;
  const files = sessionFiles(s);
  const descriptor = files.find((f) => /\.ovf$/i.test(f.name));
  if (!descriptor) {
    const type = sim.store.items.get(s.library_item_id)?.type.toLowerCase();
    return { state: type === 'ovf' ? 'UNAVAILABLE' : 'NOT_APPLICABLE' };
  }
  const base = descriptor.name.replace(/\.ovf$/i, '');
  const certs = files.filter((f) => /\.cert$/i.test(f.name));
  const cert = certs.find((f) => f.name.slice(0, -5) === base) ?? certs[0];
  if (!descriptor.ready) return { state: 'PREPARING' };
  if (!cert) return { state: 'NOT_APPLICABLE' };
  if (!cert.ready) return { state: 'PREPARING' };
  if (s.preview?.key !== cert.key) {
    const analysis = analyseCertificate(sim, readBounded(cert.path), sim.store.now());
    // Fault: forced warnings replace what the certificate gave (decided once per certificate file).
    const forced = sim.faults.takePreviewWarnings(cert.name);
    if (forced) analysis.warnings = forced.map((t) => warning(t, 'Forced by the simulator.'));
    s.preview = { key: cert.key, analysis };
  }
  const { warnings, ...rest } = s.preview.analysis;
  const ignored = new Map(s.warning_behavior.map((w) => [w.type, w.ignored]));
  return {
    state: 'AVAILABLE',
    ...rest,
    warnings: warnings.map((w) => ({ ...w, ignored: ignored.get(w.type) ?? false })),
  };
}

/** The preview's warnings warning_behavior does not mark ignored (none unless the preview is AVAILABLE). */
export function unignoredWarnings(sim: SimContext, s: UpdateSession): Array<{ type: WarningType }> {
  return (previewInfo(sim, s)?.warnings ?? []).filter((w) => !w.ignored);
}
