/**
 * Plans a URL source, which the vCenter pulls itself: nothing is read here, but the
 * URL and the item file name it implies are checked, since a bad name would only
 * surface later as an opaque server error.
 */
import { uploadSourceProblem, type UploadSource } from '../../workflows/definitions/upload';
import { derOfPem } from '../content-library/tls';
import { SourceError } from './errors';
import { assertItemFileName, quoteName, unsafeNameReason } from './names';
import { itemTypeFor, type PlannedUrlFile, type SourcePlan } from './plan-model';

/** The plan for `{ kind: 'url' }`: one file the vCenter fetches; item type from the file name's extension. */
export function planUrl(source: Extract<UploadSource, { kind: 'url' }>): SourcePlan {
  let url: URL;
  try {
    url = new URL(source.url);
  } catch (err) {
    throw new SourceError('URL_INVALID', `source.url is not a valid URL; give an absolute http(s) URL`, {
      cause: err,
    });
  }
  // Checked before anything else so no message repeats a secret. The URL is kept in workflow
  // history and sent to the vCenter, which stores it on the item: credentials must not travel
  // there. The client and the workflow check first; this is for any caller that got past them.
  const problem = uploadSourceProblem(source);
  if (problem) throw new SourceError('URL_INVALID', problem);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SourceError(
      'URL_INVALID',
      `source.url uses ${url.protocol}; the vCenter pulls only http(s) URLs`,
    );
  }

  let name: string;
  if (source.name !== undefined) {
    assertItemFileName(source.name, 'source.name');
    name = source.name;
  } else {
    name = nameFromUrl(url, source.url);
  }

  const file: PlannedUrlFile = {
    name,
    origin: {
      kind: 'url',
      url: url.href,
      ...(source.sslCertificateThumbprint !== undefined
        ? { sslCertificateThumbprint: source.sslCertificateThumbprint }
        : {}),
      ...(source.sslCertificate !== undefined
        ? { sslCertificate: pemCertificate(source.sslCertificate) }
        : {}),
      ...(source.checksum !== undefined ? { checksum: source.checksum } : {}),
    },
    ...(source.size !== undefined ? { size: source.size } : {}),
  };
  return {
    kind: 'url',
    itemType: itemTypeFor(name),
    displayName: name,
    files: [file],
    totalBytes: source.size ?? 0,
  };
}

/** The PEM as given, once it parses as a certificate: refused now rather than by the vCenter mid-session. */
function pemCertificate(pem: string): string {
  try {
    derOfPem(pem, 'source.sslCertificate');
  } catch (err) {
    throw new SourceError(
      'URL_INVALID',
      `${(err as Error).message}; give the source server's own certificate`,
      {
        cause: err,
      },
    );
  }
  return pem;
}

/** The URL path's last segment, percent-decoded, which must be a safe file name. */
function nameFromUrl(url: URL, given: string): string {
  const raw = url.pathname.split('/').pop() ?? '';
  const fix = 'set source.name to the item file name';
  if (raw === '')
    throw new SourceError(
      'URL_INVALID',
      `source.url ${given} has no file name at the end of its path; ${fix}`,
    );
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch (err) {
    throw new SourceError(
      'URL_INVALID',
      `source.url ${given} ends in ${quoteName(raw)}, which is not valid percent-encoding; ${fix}`,
      {
        cause: err,
      },
    );
  }
  const why = unsafeNameReason(name);
  if (why) {
    throw new SourceError(
      'URL_INVALID',
      `source.url ${given} ends in ${quoteName(name)}, which is not a usable file name (${why}); ${fix}`,
    );
  }
  return name;
}
