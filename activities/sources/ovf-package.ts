/**
 * Puts an OVF package's files in upload order (manifest, certificate, descriptor, then the
 * referenced files, then anything else: vCenter 6.8 and later refuse a manifest or certificate
 * added after the descriptor, see workflows/lib/push-order.ts) and holds the manifest to account:
 * every file it lists must be in the package, its digests ride along on the planned files for
 * the transfer to check, and the descriptor (already read whole) is checked right here.
 */
import { SourceError } from './errors';
import { digestOf, type ManifestDigest } from './manifest';
import type { PlannedLocalFile } from './plan-model';

/** The manifest of a package, parsed. */
export interface PackageManifest {
  file: PlannedLocalFile;
  digests: Map<string, ManifestDigest>;
  /** Names the manifest in messages, e.g. `manifest /x/photon.mf`. */
  subject: string;
}

/** The parts of an OVF package, as found in a directory or an OVA. */
export interface PackageParts {
  descriptor: PlannedLocalFile;
  /** The descriptor's bytes, to check against the manifest without reading it again. */
  descriptorBytes: Uint8Array;
  manifest?: PackageManifest;
  certificate?: PlannedLocalFile;
  /** The files the descriptor references, in its order. */
  referenced: PlannedLocalFile[];
  /** Other files that travel along (OVA members nobody references). */
  others?: PlannedLocalFile[];
  /** Completes "manifest … lists X, which …" for a name outside the package. */
  notInPackage: string;
}

/** The package's files in upload order, each with its manifest digest attached. */
export function assemblePackage(parts: PackageParts): PlannedLocalFile[] {
  const ordered: PlannedLocalFile[] = [];
  const byName = new Map<string, PlannedLocalFile>();
  const add = (f: PlannedLocalFile | undefined) => {
    if (f && !byName.has(f.name)) {
      byName.set(f.name, f);
      ordered.push(f);
    }
  };
  add(parts.manifest?.file);
  add(parts.certificate);
  add(parts.descriptor);
  parts.referenced.forEach(add);
  parts.others?.forEach(add);

  const manifest = parts.manifest;
  if (!manifest) return ordered;
  for (const [name, digest] of manifest.digests) {
    const file = byName.get(name);
    // A manifest cannot carry its own digest, so listing itself is as wrong as listing a stranger.
    if (!file || file === manifest.file) {
      throw new SourceError(
        'MANIFEST_MISSING_FILE',
        `${manifest.subject} lists ${JSON.stringify(name)}, which ${parts.notInPackage}; remove that line or add the file`,
        { path: manifest.file.origin.path },
      );
    }
    file.manifest = digest;
  }
  const expected = parts.descriptor.manifest;
  if (expected) {
    const actual = digestOf(expected.algorithm, parts.descriptorBytes);
    if (actual !== expected.hex) {
      throw new SourceError(
        'MANIFEST_DIGEST_MISMATCH',
        `${manifest.subject} gives ${expected.algorithm} ${expected.hex} for ${parts.descriptor.name}, but it hashes to ${actual}; ` +
          'the descriptor was edited after the manifest was made, so regenerate the manifest (or restore the descriptor)',
        { path: manifest.file.origin.path },
      );
    }
  }
  return ordered;
}
