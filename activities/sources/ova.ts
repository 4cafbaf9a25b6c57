/**
 * Plans an OVA: each tar member becomes an item file whose bytes are a range of the
 * archive, so nothing is extracted to disk. Only the descriptor and the manifest are
 * read (both small), to check references, sizes and the descriptor's digest up front.
 */
import { open } from 'node:fs/promises';
import { basename, parse } from 'node:path';
import type { UploadSource } from '../../workflows/definitions/upload';
import { SourceError } from './errors';
import { type CheckRead, inspectFile, MAX_SMALL_FILE_BYTES, READ_FLAGS, unreadable } from './local-files';
import { parseManifest } from './manifest';
import { quoteName, unsafeNameReason } from './names';
import { parseOvfDescriptor } from './ovf-descriptor';
import { assemblePackage, type PackageManifest } from './ovf-package';
import { type PlannedLocalFile, type SourcePlan, totalBytesOf } from './plan-model';
import { listTarMembers, readFully, type TarMember } from './tar-index';

/** The plan for `{ kind: 'ova' }`: descriptor member first, then manifest, certificate, referenced disks, the rest. */
export async function planOva(
  source: Extract<UploadSource, { kind: 'ova' }>,
  checkRead?: CheckRead,
): Promise<SourcePlan> {
  const path = source.path;
  const subject = `OVA ${path}`;
  const { size: archiveSize } = await inspectFile(path, {
    subject,
    field: 'source.path',
    ...(checkRead ? { checkRead } : {}),
  });
  const handle = await open(path, READ_FLAGS).catch((err: unknown) => {
    throw unreadable(subject, path, err);
  });
  try {
    const members = memberFiles(await listTarMembers(handle, archiveSize, subject, path), subject, path);

    const descriptors = members.filter((m) => /\.ovf$/i.test(m.name));
    const descriptor = descriptors[0];
    if (!descriptor)
      throw new SourceError('OVA_INVALID', `${subject} contains no .ovf descriptor; it is not an OVA`, {
        path,
      });
    if (descriptors.length > 1) {
      const names = descriptors.map((d) => d.name).join(', ');
      throw new SourceError(
        'OVA_INVALID',
        `${subject} contains several .ovf descriptors (${names}); an OVA holds exactly one`,
        {
          path,
        },
      );
    }
    const descriptorSubject = `OVF descriptor ${descriptor.name} in ${subject}`;
    const descriptorBytes = await readMember(handle, descriptor, descriptorSubject, 'OVF_INVALID', path);
    const references = parseOvfDescriptor(descriptorBytes.toString('utf8'), descriptorSubject, path);

    const byName = new Map(members.map((m) => [m.name, m]));
    const referenced = references.map((ref) => {
      const member = byName.get(ref.href);
      if (!member) {
        throw new SourceError(
          'OVF_MISSING_FILE',
          `${descriptorSubject} references ${ref.href}, which is not a member of the archive; ` +
            'repack the OVA with that file or fix the ovf:href',
          { path },
        );
      }
      if (ref.size !== undefined && ref.size !== member.size) {
        throw new SourceError(
          'OVF_SIZE_MISMATCH',
          `${descriptorSubject} declares ovf:size="${ref.size}" for ${ref.href}, but the member is ${member.size} bytes; ` +
            'the OVA was repacked with a different file, or the descriptor is stale',
          { path },
        );
      }
      return member;
    });

    const base = parse(descriptor.name).name;
    const manifestMember = byName.get(`${base}.mf`);
    let manifest: PackageManifest | undefined;
    if (manifestMember) {
      const manifestSubject = `manifest ${manifestMember.name} in ${subject}`;
      const text = (
        await readMember(handle, manifestMember, manifestSubject, 'MANIFEST_MALFORMED', path)
      ).toString('utf8');
      manifest = {
        file: manifestMember,
        digests: parseManifest(text, `${manifestMember.name} in ${subject}`),
        subject: manifestSubject,
      };
    }
    const certificate = byName.get(`${base}.cert`);

    const files = assemblePackage({
      descriptor,
      descriptorBytes,
      ...(manifest ? { manifest } : {}),
      ...(certificate ? { certificate } : {}),
      referenced,
      others: members,
      notInPackage: 'is not a member of the archive',
    });
    return {
      kind: 'ova',
      itemType: 'ovf',
      displayName: basename(path),
      files,
      totalBytes: totalBytesOf(files),
    };
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw unreadable(subject, path, err);
  } finally {
    await handle.close();
  }
}

/** The archive's regular files as planned files; directories are skipped, anything else is refused. */
function memberFiles(members: TarMember[], subject: string, path: string): PlannedLocalFile[] {
  const files: PlannedLocalFile[] = [];
  const seen = new Set<string>();
  for (const m of members) {
    if (m.type === 'directory') continue;
    // `tar -cf x.ova ./photon.ovf ...` stores `./photon.ovf`; that is still a root member.
    const name = m.name.replace(/^(\.\/)+/, '');
    const unsafe = (why: string) =>
      new SourceError(
        'OVA_UNSAFE_MEMBER',
        `${subject} has member ${quoteName(m.name)}, which ${why}; an OVA's members must be plain files at the archive root, so repack it`,
        { path },
      );
    if (m.type === 'symlink' || m.type === 'link')
      throw unsafe(`is a ${m.type === 'link' ? 'hard link' : 'symbolic link'}`);
    const why = unsafeNameReason(name);
    if (why) throw unsafe(`is not a plain file name (${why})`);
    if (m.type !== 'file' && m.type !== 'contiguous-file') {
      throw new SourceError(
        'OVA_INVALID',
        `${subject} has member ${quoteName(m.name)} of type ${m.type}; an OVA holds only regular files`,
        {
          path,
        },
      );
    }
    if (seen.has(name)) {
      throw new SourceError(
        'OVA_INVALID',
        `${subject} has two members named ${quoteName(name)}; repack it with one`,
        { path },
      );
    }
    seen.add(name);
    files.push({ name, size: m.size, origin: { kind: 'file', path, offset: m.offset, length: m.size } });
  }
  return files;
}

async function readMember(
  handle: Parameters<typeof readFully>[0],
  member: PlannedLocalFile,
  subject: string,
  tooLargeCode: 'OVF_INVALID' | 'MANIFEST_MALFORMED',
  path: string,
): Promise<Buffer> {
  if (member.size > MAX_SMALL_FILE_BYTES) {
    throw new SourceError(
      tooLargeCode,
      `${subject} is ${member.size} bytes, larger than the ${MAX_SMALL_FILE_BYTES}-byte limit; no real OVF package has one that big, so the OVA is damaged`,
      {
        path,
      },
    );
  }
  const buf = Buffer.alloc(member.size);
  await readFully(handle, buf, member.origin.offset, path);
  return buf;
}
