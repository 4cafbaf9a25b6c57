/**
 * Real, deterministic sample content for `clo demo` and the tests: pseudo-random files
 * (any size, written by streaming), OVF packages with correct manifests, OVAs packed with
 * tar-stream, and hand-made tar archives for the header shapes tar-stream does not write
 * (GNU long names, hostile member names). The same seed always yields the same bytes, so
 * digests can be asserted.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, parse } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';

/** A file the fixtures wrote, with the digests a test should expect. */
export interface ExpectedFile {
  /** Item file name (or tar member name). */
  name: string;
  /** Where it lives on disk (for OVA members: the source file it was packed from). */
  path: string;
  size: number;
  sha1: string;
  sha256: string;
}

const CHUNK = 1024 * 1024;

/**
 * Writes `size` pseudo-random bytes to `path`, derived from `seed` (AES-128-CTR keystream:
 * fast, and a stream, so a multi-GB file costs one chunk of memory).
 */
export async function writeRandomFile(
  path: string,
  size: number,
  seed: number | string,
): Promise<ExpectedFile> {
  const key = createHash('sha256').update(`clo-fixture:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  const zeros = Buffer.alloc(CHUNK);
  function* chunks(): Generator<Buffer> {
    for (let left = size; left > 0; left -= CHUNK) {
      const chunk = cipher.update(zeros.subarray(0, Math.min(CHUNK, left)));
      sha1.update(chunk);
      sha256.update(chunk);
      yield chunk;
    }
  }
  await pipeline(Readable.from(chunks(), { objectMode: false }), createWriteStream(path));
  return { name: parse(path).base, path, size, sha1: sha1.digest('hex'), sha256: sha256.digest('hex') };
}

/** Writes `content` to `path` and returns its expectations. */
export async function writeContentFile(path: string, content: string | Buffer): Promise<ExpectedFile> {
  const buf = Buffer.from(content);
  await writeFile(path, buf);
  return {
    name: parse(path).base,
    path,
    size: buf.length,
    sha1: createHash('sha1').update(buf).digest('hex'),
    sha256: createHash('sha256').update(buf).digest('hex'),
  };
}

/** Options of {@link makeOvfPackage}. */
export interface OvfPackageOptions {
  /** Base name: the descriptor is `<name>.ovf`, the manifest `<name>.mf`. */
  name: string;
  /**
   * Disks to write with pseudo-random content. Default names avoid `.vmdk`, which vcsim
   * insists be streamOptimized VMDK. @default name `<name>-disk<N>.img`
   */
  disks: Array<{ name?: string; size: number; seed?: number | string }>;
  /** Manifest algorithm, or false for no manifest. @default 'SHA256' */
  manifest?: 'SHA1' | 'SHA256' | false;
}

/** What {@link makeOvfPackage} wrote. */
export interface OvfPackage {
  dir: string;
  descriptorPath: string;
  manifestPath?: string;
  /** In upload order: descriptor, manifest (if any), then disks. */
  files: ExpectedFile[];
  disks: ExpectedFile[];
}

/** Writes a minimal valid OVF 1.x package (descriptor, disks, manifest) into `dir`. */
export async function makeOvfPackage(dir: string, options: OvfPackageOptions): Promise<OvfPackage> {
  await mkdir(dir, { recursive: true });
  const disks: ExpectedFile[] = [];
  for (const [i, d] of options.disks.entries()) {
    const name = d.name ?? `${options.name}-disk${i + 1}.img`;
    disks.push(await writeRandomFile(join(dir, name), d.size, d.seed ?? `${options.name}/${i}`));
  }
  const descriptor = await writeContentFile(
    join(dir, `${options.name}.ovf`),
    ovfDescriptor(options.name, disks),
  );
  const files = [descriptor];
  let manifestPath: string | undefined;
  const algorithm = options.manifest ?? 'SHA256';
  if (algorithm) {
    const lines = [descriptor, ...disks].map(
      (f) => `${algorithm}(${f.name})= ${algorithm === 'SHA1' ? f.sha1 : f.sha256}\n`,
    );
    manifestPath = join(dir, `${options.name}.mf`);
    files.push(await writeContentFile(manifestPath, lines.join('')));
  }
  files.push(...disks);
  return { dir, descriptorPath: descriptor.path, ...(manifestPath ? { manifestPath } : {}), files, disks };
}

/** An OVF 1.x descriptor with one virtual system and one disk per file. */
export function ovfDescriptor(name: string, disks: Array<{ name: string; size: number }>): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const files = disks
    .map((d, i) => `    <File ovf:href="${esc(d.name)}" ovf:id="file${i + 1}" ovf:size="${d.size}"/>`)
    .join('\n');
  // The content is random bytes, not a disk image: fine for transfers, not deployable.
  const diskItems = disks
    .map(
      (d, i) =>
        `    <Disk ovf:capacity="${Math.max(1, Math.ceil(d.size / 1048576))}" ovf:capacityAllocationUnits="byte * 2^20" ` +
        `ovf:diskId="vmdisk${i + 1}" ovf:fileRef="file${i + 1}" ovf:populatedSize="${d.size}" ` +
        `ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
          xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References>
${files}
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
${diskItems}
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
  </NetworkSection>
  <VirtualSystem ovf:id="${esc(name)}">
    <Info>A virtual machine</Info>
    <Name>${esc(name)}</Name>
    <OperatingSystemSection ovf:id="36">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>${esc(name)}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of Virtual CPUs</rasd:Description>
        <rasd:ElementName>1 virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>1</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>256MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>256</rasd:VirtualQuantity>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
}

/** What {@link makeOva} wrote. */
export interface Ova {
  path: string;
  size: number;
  /** In archive order. */
  members: ExpectedFile[];
}

/** Packs the OVF package in `ovfDir` into an OVA at `path`: descriptor, manifest, certificate, then the rest by name. */
export async function makeOva(path: string, ovfDir: string): Promise<Ova> {
  const names = (await readdir(ovfDir)).sort();
  const first = ['.ovf', '.mf', '.cert'];
  const rank = (n: string) => {
    const i = first.indexOf(parse(n).ext.toLowerCase());
    return i === -1 ? first.length : i;
  };
  names.sort((a, b) => rank(a) - rank(b));
  return packTar(
    path,
    names.map((name) => ({ name, source: join(ovfDir, name) })),
  );
}

/** A tar entry for {@link packTar}: a file streamed from disk, inline content, or a non-file entry. */
export type TarEntry =
  | { name: string; source: string }
  | { name: string; content: string | Buffer }
  | { name: string; type: 'directory' | 'symlink'; linkname?: string };

/** Writes a tar archive with tar-stream's packer, streaming `source` entries from disk. */
export async function packTar(path: string, entries: TarEntry[]): Promise<Ova> {
  const pack = tar.pack();
  const out = createWriteStream(path);
  const written = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
    pack.on('error', reject);
  });
  // Awaited at the end; until then, keep an early failure from counting as unhandled.
  written.catch(() => undefined);
  pack.pipe(out);
  const members: ExpectedFile[] = [];
  for (const e of entries) {
    if ('source' in e) {
      const { size } = await stat(e.source);
      const sha1 = createHash('sha1');
      const sha256 = createHash('sha256');
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ name: e.name, size }, (err) => (err ? reject(err) : resolve()));
        const src = createReadStream(e.source);
        src.on('data', (c) => {
          sha1.update(c);
          sha256.update(c);
        });
        src.on('error', reject);
        src.pipe(sink);
      });
      members.push({
        name: e.name,
        path: e.source,
        size,
        sha1: sha1.digest('hex'),
        sha256: sha256.digest('hex'),
      });
    } else if ('content' in e) {
      const buf = Buffer.from(e.content);
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: e.name, size: buf.length }, buf, (err) => (err ? reject(err) : resolve())),
      );
      members.push({
        name: e.name,
        path: '',
        size: buf.length,
        sha1: createHash('sha1').update(buf).digest('hex'),
        sha256: createHash('sha256').update(buf).digest('hex'),
      });
    } else {
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: e.name, type: e.type, ...(e.linkname ? { linkname: e.linkname } : {}) }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    }
  }
  pack.finalize();
  await written;
  return { path, size: (await stat(path)).size, members };
}

/** An entry of a hand-made tar ({@link writeRawTar}). */
export interface RawTarEntry {
  name: string;
  data: Buffer;
  /** Store the name in a GNU `././@LongLink` ('L') entry, as GNU tar does for names over 100 bytes. */
  gnuLongName?: boolean;
}

/**
 * Writes a GNU-format tar by hand, for header shapes tar-stream's packer never emits
 * (it writes PAX for long names). Small content only.
 */
export async function writeRawTar(path: string, entries: RawTarEntry[]): Promise<void> {
  const blocks: Buffer[] = [];
  const body = (data: Buffer) => {
    blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  };
  for (const e of entries) {
    if (e.gnuLongName) {
      const longName = Buffer.from(`${e.name}\0`);
      blocks.push(gnuHeader('././@LongLink', longName.length, 'L'));
      body(longName);
      blocks.push(gnuHeader(Buffer.from(e.name).subarray(0, 100).toString('latin1'), e.data.length, '0'));
    } else {
      blocks.push(gnuHeader(e.name, e.data.length, '0'));
    }
    body(e.data);
  }
  blocks.push(Buffer.alloc(1024));
  await writeFile(path, Buffer.concat(blocks));
}

function gnuHeader(name: string, size: number, typeflag: string): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'latin1');
  b.write('0000644\0', 100);
  b.write('0000000\0', 108);
  b.write('0000000\0', 116);
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  b.write('00000000000\0', 136);
  b.write('        ', 148); // checksum is computed with its own field as spaces
  b.write(typeflag, 156);
  b.write('ustar  \0', 257); // GNU magic "ustar " and version " \0"
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return b;
}
