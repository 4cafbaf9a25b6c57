/**
 * What the upload saga's approval step (workflows/lib/approval.ts) asks of vCenter: the update
 * session's `preview_info` (the signing certificate of an OVF/OVA and the warnings about it,
 * vSphere 8 `/api`), and `warning_behavior`, which marks accepted warnings ignored so that
 * `complete` goes through. A `/rest` server has neither: its sessions report no preview.
 */
import { X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { CertificateSummary, CertificateWarning } from '../workflows/definitions/approval';
import { isContentLibraryError } from './content-library';
import { permanent, sessionGone } from './failures';
import type { VCenterClients } from './vcenter-clients';

/**
 * `updatesession.PreviewInfo`, read leniently: a state or warning type a newer server adds is
 * passed on (the saga waits on any state it does not know, and shows any warning type).
 */
const PreviewInfo = z.object({
  state: z.string(),
  certificate_info: z
    .object({
      issuer: z.string(),
      subject: z.string(),
      self_signed: z.boolean(),
      x509: z.string().optional(),
    })
    .optional(),
  warnings: z
    .array(
      z.object({
        type: z.string(),
        message: z.object({ default_message: z.string() }).partial().optional(),
        ignored: z.boolean().default(false),
      }),
    )
    .optional(),
});

/** What the saga sees of `preview_info`. */
export interface UpdateSessionPreview {
  /** PREPARING, AVAILABLE, NOT_APPLICABLE, UNAVAILABLE; NOT_APPLICABLE when the server has no preview (`/rest`). */
  state: string;
  certificate?: CertificateSummary;
  warnings: CertificateWarning[];
}

/** The client operations this needs (./content-library: `getUpdateSession`, `updateUpdateSession`). */
interface PreviewClient {
  getUpdateSession(sessionId: string): Promise<{ state: string; preview_info?: unknown }>;
  updateUpdateSession?(
    sessionId: string,
    spec: { warning_behavior: { type: string; ignored: boolean }[] },
  ): Promise<void>;
}

/** How long one activity waits for a PREPARING preview before the saga asks again. */
const PREVIEW_WAIT_MS = 10_000;

export function updateSessionPreviewActivities(vcenters: VCenterClients) {
  return {
    /**
     * The session's `preview_info`, waiting (up to ~10 s) while vCenter prepares it after the
     * OVF descriptor arrived. The certificate's validity and fingerprint come from its `x509`.
     */
    async getUpdateSessionPreview(vcenter: string, sessionId: string): Promise<UpdateSessionPreview> {
      const client: PreviewClient = vcenters.get(vcenter);
      const deadline = Date.now() + PREVIEW_WAIT_MS;
      for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
        const session = await onSession(sessionId, async () => client.getUpdateSession(sessionId));
        if (session.preview_info === undefined) return { state: 'NOT_APPLICABLE', warnings: [] };
        const parsed = PreviewInfo.safeParse(session.preview_info);
        if (!parsed.success)
          throw permanent(
            'ResponseValidationError',
            `preview_info of update session ${sessionId}: ${z.prettifyError(parsed.error)}`,
          );
        const preview = parsed.data;
        const settled = preview.state === 'AVAILABLE' || preview.state === 'NOT_APPLICABLE';
        if (settled || Date.now() + delay > deadline) {
          const info = preview.certificate_info;
          return {
            state: preview.state,
            ...(info ? { certificate: summarize(info) } : {}),
            warnings: (preview.warnings ?? []).map((w) => ({
              type: w.type,
              message: w.message?.default_message ?? w.type,
              ignored: w.ignored,
            })),
          };
        }
        await sleep(delay);
      }
    },

    /** Marks `types` ignored in the session's `warning_behavior` (PATCH), so `complete` accepts the item. */
    async setUpdateSessionWarningBehavior(
      vcenter: string,
      sessionId: string,
      types: string[],
    ): Promise<void> {
      const client: PreviewClient = vcenters.get(vcenter);
      if (!client.updateUpdateSession)
        throw permanent(
          'UnsupportedEndpoint',
          'this client cannot update a session (warning_behavior needs vSphere 8 /api)',
        );
      const update = client.updateUpdateSession.bind(client);
      await onSession(sessionId, async () =>
        update(sessionId, { warning_behavior: types.map((type) => ({ type, ignored: true })) }),
      );
    },
  };
}

async function onSession<T>(sessionId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isContentLibraryError(err) && err.code === 'NOT_FOUND') throw sessionGone(sessionId);
    throw err;
  }
}

/** The server's subject and issuer as given; validity and fingerprint from `x509` (PEM or base64 DER) when it parses. */
function summarize(info: {
  issuer: string;
  subject: string;
  self_signed: boolean;
  x509?: string | undefined;
}): CertificateSummary {
  const summary: CertificateSummary = {
    subject: info.subject,
    issuer: info.issuer,
    selfSigned: info.self_signed,
  };
  if (!info.x509) return summary;
  try {
    const cert = new X509Certificate(
      info.x509.includes('-----BEGIN') ? info.x509 : Buffer.from(info.x509.replace(/\s+/g, ''), 'base64'),
    );
    return {
      ...summary,
      validFrom: new Date(cert.validFrom).toISOString(),
      validTo: new Date(cert.validTo).toISOString(),
      sha256Fingerprint: cert.fingerprint256,
    };
  } catch {
    // The person still sees subject and issuer; a certificate we cannot read is no reason to fail.
    return summary;
  }
}
