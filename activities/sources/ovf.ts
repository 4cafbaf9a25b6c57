/**
 * Plans an OVF package on disk: the descriptor, its `.mf` manifest and `.cert` beside
 * it (when present), and every file its References name, each checked to exist, be
 * readable and have the declared size before any session is created.
 */
import { basename, dirname, join, parse } from 'node:path';
import type { UploadSource } from '../../workflows/definitions/upload';
import { SourceError } from './errors';
import { type CheckRead, exists, inspectFile, readSmallFile } from './local-files';
import { parseManifest } from './manifest';
import { parseOvfDescriptor } from './ovf-descriptor';
import { assemblePackage, type PackageManifest } from './ovf-package';
import { type PlannedLocalFile, type SourcePlan, totalBytesOf, wholeFile } from './plan-model';

/** The plan for `{ kind: 'ovf' }`: manifest, certificate, descriptor, then the referenced files. */
export async function planOvf(
  source: Extract<UploadSource, { kind: 'ovf' }>,
  checkRead?: CheckRead,
): Promise<SourcePlan> {
  const path = source.path;
  const subject = `OVF descriptor ${path}`;
  // Every file of the package is checked before it is opened: a reference (or a manifest) that
  // is a link out of the read roots is refused like the descriptor itself would be.
  const check = checkRead ? { checkRead } : {};
  const { size } = await inspectFile(path, { subject, field: 'source.path', ...check });
  const bytes = await readSmallFile(path, 'OVF descriptor');
  const hint = /\.ova$/i.test(path) ? ` (${path} looks like an OVA: use source kind 'ova')` : '';
  let references;
  try {
    references = parseOvfDescriptor(bytes.toString('utf8'), subject, path);
  } catch (err) {
    if (err instanceof SourceError && hint)
      throw new SourceError(err.code, err.message + hint, { path, cause: err });
    throw err;
  }

  const dir = dirname(path);
  const descriptorName = basename(path);
  const base = parse(descriptorName).name;
  const descriptor = wholeFile(descriptorName, path, size);

  const manifestFile = await optionalSibling(dir, `${base}.mf`, 'manifest', checkRead);
  let manifest: PackageManifest | undefined;
  if (manifestFile) {
    const manifestPath = manifestFile.origin.path;
    const text = (await readSmallFile(manifestPath, 'manifest')).toString('utf8');
    manifest = {
      file: manifestFile,
      digests: parseManifest(text, manifestPath),
      subject: `manifest ${manifestPath}`,
    };
  }
  const certificate = await optionalSibling(dir, `${base}.cert`, 'certificate', checkRead);

  const referenced: PlannedLocalFile[] = [];
  for (const ref of references) {
    const filePath = join(dir, ref.href);
    const { size: actual } = await inspectFile(filePath, {
      subject: `${filePath} (referenced by ${subject})`,
      checkField: `file ${ref.href} referenced by the OVF descriptor (source.path)`,
      ...check,
      onMissing: () =>
        new SourceError(
          'OVF_MISSING_FILE',
          `${subject} references ${ref.href}, which does not exist next to it (expected ${filePath}); ` +
            'copy the file there or fix the ovf:href',
          { path: filePath },
        ),
    });
    if (ref.size !== undefined && ref.size !== actual) {
      throw new SourceError(
        'OVF_SIZE_MISMATCH',
        `${subject} declares ovf:size="${ref.size}" for ${ref.href}, but ${filePath} is ${actual} bytes; ` +
          'the file is incomplete or was replaced, or the descriptor is stale',
        { path: filePath },
      );
    }
    referenced.push(wholeFile(ref.href, filePath, actual));
  }

  const files = assemblePackage({
    descriptor,
    descriptorBytes: bytes,
    ...(manifest ? { manifest } : {}),
    ...(certificate ? { certificate } : {}),
    referenced,
    notInPackage: `${descriptorName} does not reference`,
  });
  return {
    kind: 'ovf',
    itemType: 'ovf',
    displayName: descriptorName,
    files,
    totalBytes: totalBytesOf(files),
  };
}

/** A file beside the descriptor that the package may or may not have (manifest, certificate). */
async function optionalSibling(
  dir: string,
  name: string,
  what: string,
  checkRead?: CheckRead,
): Promise<PlannedLocalFile | undefined> {
  const path = join(dir, name);
  if (!(await exists(path))) return undefined;
  const { size } = await inspectFile(path, {
    subject: `${what} ${path}`,
    checkField: `${what} ${name} beside the OVF descriptor (source.path)`,
    ...(checkRead ? { checkRead } : {}),
  });
  return wholeFile(name, path, size);
}
