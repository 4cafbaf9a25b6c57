import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLocalFile, planSource } from '../../../activities/sources';
import { makeOvfPackage, ovfDescriptor, writeContentFile, writeRandomFile } from '../../fixtures/content';
import { rejectionOf, useScratchDir } from './helpers';

const scratch = useScratchDir('ovf');

describe('planSource for an OVF package', () => {
  it('plans manifest, descriptor, then disks, with the manifest digests attached', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'happy'), {
      name: 'photon',
      disks: [{ size: 70_000 }, { size: 1 }],
      manifest: 'SHA256',
    });
    const plan = await planSource({ kind: 'ovf', path: pkg.descriptorPath });

    expect(plan.kind).toBe('ovf');
    expect(plan.itemType).toBe('ovf');
    expect(plan.displayName).toBe('photon.ovf');
    expect(plan.files.map((f) => f.name)).toEqual([
      'photon.mf',
      'photon.ovf',
      'photon-disk1.img',
      'photon-disk2.img',
    ]);
    for (const expected of pkg.files) {
      const planned = plan.files.find((f) => f.name === expected.name);
      expect(planned).toMatchObject({
        name: expected.name,
        size: expected.size,
        origin: { kind: 'file', path: expected.path, offset: 0, length: expected.size },
      });
    }
    expect(plan.files.find((f) => f.name === 'photon-disk1.img')?.manifest).toEqual({
      algorithm: 'SHA256',
      hex: pkg.disks[0]?.sha256,
    });
    expect(plan.files.find((f) => f.name === 'photon.ovf')?.manifest?.hex).toBe(pkg.files[0]?.sha256);
    expect(plan.files.find((f) => f.name === 'photon.mf')?.manifest).toBeUndefined();
    expect(plan.totalBytes).toBe(pkg.files.reduce((n, f) => n + f.size, 0));
    expect(plan.files.every(isLocalFile)).toBe(true);
  });

  it('plans a package without a manifest, and takes a .cert along', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'nomf'), {
      name: 'alpine',
      disks: [{ size: 512 }],
      manifest: false,
    });
    await writeFile(join(pkg.dir, 'alpine.cert'), '-----BEGIN CERTIFICATE-----\n');
    const plan = await planSource({ kind: 'ovf', path: pkg.descriptorPath });
    expect(plan.files.map((f) => f.name)).toEqual(['alpine.cert', 'alpine.ovf', 'alpine-disk1.img']);
    expect(plan.files.some((f) => f.manifest)).toBe(false);
  });

  it('accepts prefixed elements and attributes (ovf:Envelope, ovf:File, ovf:href)', async () => {
    const dir = join(scratch(), 'prefixed');
    const pkg = await makeOvfPackage(dir, { name: 'p', disks: [{ size: 10 }], manifest: false });
    const xml = `<?xml version="1.0"?>
<ovf:Envelope xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <ovf:References><ovf:File ovf:id="f1" ovf:href="p-disk1.img" ovf:size="10"/></ovf:References>
</ovf:Envelope>`;
    await writeFile(pkg.descriptorPath, xml);
    const plan = await planSource({ kind: 'ovf', path: pkg.descriptorPath });
    expect(plan.files.map((f) => [f.name, f.size])).toEqual([
      ['p.ovf', Buffer.byteLength(xml)],
      ['p-disk1.img', 10],
    ]);
  });

  it('lists a file referenced twice once', async () => {
    const dir = join(scratch(), 'dupe');
    const pkg = await makeOvfPackage(dir, { name: 'd', disks: [{ size: 10 }], manifest: false });
    await writeFile(pkg.descriptorPath, ovfDescriptor('d', [pkg.disks[0]!, pkg.disks[0]!]));
    const plan = await planSource({ kind: 'ovf', path: pkg.descriptorPath });
    expect(plan.files.map((f) => f.name)).toEqual(['d.ovf', 'd-disk1.img']);
  });

  it('rejects a descriptor whose referenced file is missing, naming the expected path', async () => {
    const dir = join(scratch(), 'missing');
    const pkg = await makeOvfPackage(dir, { name: 'photon', disks: [{ size: 100 }], manifest: false });
    await writeFile(
      pkg.descriptorPath,
      ovfDescriptor('photon', [...pkg.disks, { name: 'disk1.vmdk', size: 5 }]),
    );
    const err = await rejectionOf(planSource({ kind: 'ovf', path: pkg.descriptorPath }));
    expect(err).toMatchObject({
      name: 'SourceError',
      code: 'OVF_MISSING_FILE',
      path: join(dir, 'disk1.vmdk'),
    });
    expect(err.message).toContain(
      `OVF descriptor ${pkg.descriptorPath} references disk1.vmdk, which does not exist next to it (expected ${join(dir, 'disk1.vmdk')})`,
    );
  });

  it('rejects a referenced file whose size differs from ovf:size', async () => {
    const dir = join(scratch(), 'size');
    const pkg = await makeOvfPackage(dir, { name: 's', disks: [{ size: 4096 }], manifest: false });
    await writeRandomFile(join(dir, 's-disk1.img'), 4000, 'short');
    const err = await rejectionOf(planSource({ kind: 'ovf', path: pkg.descriptorPath }));
    expect(err.code).toBe('OVF_SIZE_MISMATCH');
    expect(err.message).toContain('ovf:size="4096" for s-disk1.img');
    expect(err.message).toContain('is 4000 bytes');
  });

  it.each([
    ['../etc/passwd', 'path separator'],
    ['/etc/passwd', 'absolute path'],
    ['..', 'directory reference'],
    ['sub\\disk.img', 'path separator'],
    ['http://example.com/disk.img', 'path separator'],
  ])('rejects the unsafe reference %j', async (href, why) => {
    const dir = join(scratch(), `unsafe-${encodeURIComponent(href)}`);
    const pkg = await makeOvfPackage(dir, { name: 'u', disks: [], manifest: false });
    await writeFile(pkg.descriptorPath, ovfDescriptor('u', [{ name: href, size: 1 }]));
    const err = await rejectionOf(planSource({ kind: 'ovf', path: pkg.descriptorPath }));
    expect(err.code).toBe('OVF_UNSAFE_REFERENCE');
    expect(err.message).toContain(`references ${JSON.stringify(href)}`);
    expect(err.message).toContain(why);
  });

  it('rejects a descriptor that is not well-formed XML, with the line', async () => {
    const dir = join(scratch(), 'badxml');
    const pkg = await makeOvfPackage(dir, { name: 'b', disks: [], manifest: false });
    await writeFile(pkg.descriptorPath, '<Envelope>\n<References>\n</Envelope>\n');
    const err = await rejectionOf(planSource({ kind: 'ovf', path: pkg.descriptorPath }));
    expect(err.code).toBe('OVF_INVALID');
    expect(err.message).toMatch(/is not well-formed XML \(line 3/);
  });

  it('rejects a descriptor without Envelope/References', async () => {
    const dir = join(scratch(), 'norefs');
    const pkg = await makeOvfPackage(dir, { name: 'r', disks: [], manifest: false });
    await writeFile(pkg.descriptorPath, '<Envelope><VirtualSystem/></Envelope>');
    const err = await rejectionOf(planSource({ kind: 'ovf', path: pkg.descriptorPath }));
    expect(err.code).toBe('OVF_INVALID');
    expect(err.message).toContain('lacks Envelope/References');
  });

  it('rejects a malformed manifest line, giving its line number', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'badmf'), {
      name: 'm',
      disks: [{ size: 10 }],
      manifest: 'SHA1',
    });
    const manifestPath = pkg.manifestPath!;
    const lines = (await readFile(manifestPath, 'utf8')).trimEnd().split('\n');
    await writeFile(manifestPath, `${lines.join('\n')}\nSHA256 m-disk1.img abc\n`);
    const err = await rejectionOf(planSource({ kind: 'ovf', path: pkg.descriptorPath }));
    expect(err.code).toBe('MANIFEST_MALFORMED');
    expect(err.message).toContain(
      `manifest ${manifestPath} line 3 is malformed: expected "SHA256(name)= <hex>"`,
    );
  });

  it('rejects a manifest digest of the wrong length for its algorithm', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'shortmf'), {
      name: 'h',
      disks: [{ size: 10 }],
      manifest: false,
    });
    await writeFile(join(pkg.dir, 'h.mf'), `SHA256(h.ovf)= ${pkg.files[0]?.sha1}\n`);
    const err = await rejectionOf(planSource({ kind: 'ovf', path: pkg.descriptorPath }));
    expect(err.code).toBe('MANIFEST_MALFORMED');
    expect(err.message).toMatch(/line 1 is malformed: .*a SHA256 digest is 64 hex digits/);
  });

  it('rejects a manifest that names a file outside the package', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'strangermf'), {
      name: 'x',
      disks: [{ size: 10 }],
      manifest: 'SHA1',
    });
    const manifestPath = pkg.manifestPath!;
    await writeFile(
      manifestPath,
      `${await readFile(manifestPath, 'utf8')}SHA1(ghost.img)= ${'0'.repeat(40)}\n`,
    );
    const err = await rejectionOf(planSource({ kind: 'ovf', path: pkg.descriptorPath }));
    expect(err.code).toBe('MANIFEST_MISSING_FILE');
    expect(err.message).toContain(
      `manifest ${manifestPath} lists "ghost.img", which x.ovf does not reference`,
    );
  });

  it('rejects a descriptor edited after its manifest was made', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'edited'), {
      name: 'e',
      disks: [{ size: 10 }],
      manifest: 'SHA256',
    });
    await writeFile(pkg.descriptorPath, `${await readFile(pkg.descriptorPath, 'utf8')}<!-- edited -->\n`);
    const err = await rejectionOf(planSource({ kind: 'ovf', path: pkg.descriptorPath }));
    expect(err.code).toBe('MANIFEST_DIGEST_MISMATCH');
    expect(err.message).toContain(`gives SHA256 ${pkg.files[0]?.sha256} for e.ovf`);
  });

  it('rejects a missing descriptor as not found', async () => {
    const path = join(scratch(), 'nowhere.ovf');
    const err = await rejectionOf(planSource({ kind: 'ovf', path }));
    expect(err.code).toBe('SOURCE_NOT_FOUND');
    expect(err.message).toContain(`OVF descriptor ${path} does not exist`);
  });

  it('points at kind "ova" when given an OVA as a descriptor', async () => {
    const f = await writeContentFile(join(scratch(), 'thing.ova'), Buffer.alloc(1024, 1));
    const err = await rejectionOf(planSource({ kind: 'ovf', path: f.path }));
    expect(err.code).toBe('OVF_INVALID');
    expect(err.message).toContain("use source kind 'ova'");
  });
});
