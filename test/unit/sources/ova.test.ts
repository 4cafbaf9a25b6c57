import { createHash } from 'node:crypto';
import { copyFile, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { isLocalFile, openRange, planSource, type PlannedFile } from '../../../activities/sources';
import {
  makeOva,
  makeOvfPackage,
  ovfDescriptor,
  packTar,
  writeRandomFile,
  writeRawTar,
} from '../../fixtures/content';
import { rejectionOf, useScratchDir } from './helpers';

const scratch = useScratchDir('ova');

/** SHA-1 of a planned local file's bytes, read through openRange as the transfer will. */
async function sha1Of(file: PlannedFile): Promise<string> {
  if (!isLocalFile(file)) throw new Error(`${file.name} is not a local file`);
  const h = createHash('sha1');
  for await (const chunk of openRange(file.origin.path, file.origin.offset, file.origin.length, {
    highWaterMark: 4096,
  })) {
    h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

describe('planSource for an OVA', () => {
  it('plans each member as a byte range of the archive whose bytes hash to the original file', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'happy'), {
      name: 'photon',
      disks: [{ size: 100_001 }, { size: 513 }, { size: 0 }],
      manifest: 'SHA1',
    });
    const ova = await makeOva(join(scratch(), 'photon.ova'), pkg.dir);
    const plan = await planSource({ kind: 'ova', path: ova.path });

    expect(plan).toMatchObject({ kind: 'ova', itemType: 'ovf', displayName: 'photon.ova' });
    expect(plan.files.map((f) => f.name)).toEqual([
      'photon.mf',
      'photon.ovf',
      'photon-disk1.img',
      'photon-disk2.img',
      'photon-disk3.img',
    ]);
    for (const expected of pkg.files) {
      const planned = plan.files.find((f) => f.name === expected.name)!;
      expect(planned.size).toBe(expected.size);
      expect(planned.origin).toMatchObject({ kind: 'file', path: ova.path, length: expected.size });
      expect(await sha1Of(planned)).toBe(expected.sha1);
    }
    expect(plan.files.find((f) => f.name === 'photon-disk1.img')?.manifest).toEqual({
      algorithm: 'SHA1',
      hex: pkg.disks[0]?.sha1,
    });
    expect(plan.totalBytes).toBe(pkg.files.reduce((n, f) => n + f.size, 0));
  });

  it('puts the manifest, then the descriptor, first whatever the archive order', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'order'), {
      name: 'o',
      disks: [{ size: 3000 }],
      manifest: 'SHA256',
    });
    const ova = await packTar(join(scratch(), 'order.ova'), [
      { name: 'o-disk1.img', source: join(pkg.dir, 'o-disk1.img') },
      { name: 'o.mf', source: join(pkg.dir, 'o.mf') },
      { name: 'o.ovf', source: join(pkg.dir, 'o.ovf') },
    ]);
    const plan = await planSource({ kind: 'ova', path: ova.path });
    expect(plan.files.map((f) => f.name)).toEqual(['o.mf', 'o.ovf', 'o-disk1.img']);
    for (const f of plan.files)
      expect(await sha1Of(f)).toBe(ova.members.find((m) => m.name === f.name)?.sha1);
  });

  it('applies PAX extended headers for member names over 100 bytes', async () => {
    const name = `appliance-${'x'.repeat(110)}`;
    const pkg = await makeOvfPackage(join(scratch(), 'pax'), {
      name,
      disks: [{ size: 70_000 }],
      manifest: 'SHA1',
    });
    const ova = await makeOva(join(scratch(), 'pax.ova'), pkg.dir);
    // tar-stream stores such names only in a PAX header; the ustar name field says "PaxHeader".
    expect((await readFile(ova.path)).subarray(0, 9).toString()).toBe('PaxHeader');
    const plan = await planSource({ kind: 'ova', path: ova.path });
    expect(plan.files.map((f) => f.name)).toEqual([`${name}.mf`, `${name}.ovf`, `${name}-disk1.img`]);
    for (const f of plan.files) expect(await sha1Of(f)).toBe(pkg.files.find((e) => e.name === f.name)?.sha1);
  });

  it('applies GNU long-name entries', async () => {
    const name = `gnu-${'y'.repeat(120)}`;
    const disk = await writeRandomFile(join(scratch(), 'gnu-disk.img'), 5000, 'gnu');
    const descriptor = Buffer.from(ovfDescriptor(name, [{ name: `${name}.img`, size: disk.size }]));
    await writeRawTar(join(scratch(), 'gnu.ova'), [
      { name: `${name}.ovf`, data: descriptor, gnuLongName: true },
      { name: `${name}.img`, data: await readFile(disk.path), gnuLongName: true },
    ]);
    const plan = await planSource({ kind: 'ova', path: join(scratch(), 'gnu.ova') });
    expect(plan.files.map((f) => f.name)).toEqual([`${name}.ovf`, `${name}.img`]);
    expect(await sha1Of(plan.files[1]!)).toBe(disk.sha1);
    expect(await sha1Of(plan.files[0]!)).toBe(createHash('sha1').update(descriptor).digest('hex'));
  });

  it('strips a leading ./ from member names and skips directories', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'dot'), {
      name: 'd',
      disks: [{ size: 10 }],
      manifest: false,
    });
    const ova = await packTar(join(scratch(), 'dot.ova'), [
      { name: './', type: 'directory' },
      { name: './d.ovf', source: pkg.descriptorPath },
      { name: './d-disk1.img', source: join(pkg.dir, 'd-disk1.img') },
    ]);
    const plan = await planSource({ kind: 'ova', path: ova.path });
    expect(plan.files.map((f) => f.name)).toEqual(['d.ovf', 'd-disk1.img']);
  });

  it('rejects a truncated archive', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'trunc'), {
      name: 't',
      disks: [{ size: 200_000 }],
      manifest: 'SHA1',
    });
    const ova = await makeOva(join(scratch(), 'trunc.ova'), pkg.dir);
    const cut = join(scratch(), 'trunc-cut.ova');
    await copyFile(ova.path, cut);
    await truncate(cut, Math.floor(ova.size / 2));
    const err = await rejectionOf(planSource({ kind: 'ova', path: cut }));
    expect(err).toMatchObject({ name: 'SourceError', code: 'OVA_INVALID', path: cut });
    expect(err.message).toContain(`OVA ${cut} is truncated: member "t-disk1.img" needs bytes up to`);
  });

  it('rejects an archive cut inside a header', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'trunc2'), {
      name: 'h',
      disks: [{ size: 512 }],
      manifest: false,
    });
    const ova = await makeOva(join(scratch(), 'trunc2.ova'), pkg.dir);
    const descriptorBlocks = Math.ceil(pkg.files[0]!.size / 512);
    await truncate(ova.path, 512 + descriptorBlocks * 512 + 100);
    const err = await rejectionOf(planSource({ kind: 'ova', path: ova.path }));
    expect(err.code).toBe('OVA_INVALID');
    expect(err.message).toContain('ends inside a tar header');
  });

  it.each([['../evil.img'], ['/etc/evil.img'], ['sub/disk.img'], ['a\\b.img']])(
    'rejects the unsafe member %j',
    async (name) => {
      const pkg = await makeOvfPackage(join(scratch(), 'unsafe'), {
        name: 'u',
        disks: [{ size: 10 }],
        manifest: false,
      });
      const path = join(scratch(), 'unsafe.ova');
      await packTar(path, [
        { name: 'u.ovf', source: pkg.descriptorPath },
        { name: 'u-disk1.img', source: join(pkg.dir, 'u-disk1.img') },
        { name, content: 'payload' },
      ]);
      const err = await rejectionOf(planSource({ kind: 'ova', path }));
      expect(err).toMatchObject({ code: 'OVA_UNSAFE_MEMBER', path });
      expect(err.message).toContain(`has member ${JSON.stringify(name)}`);
    },
  );

  it('rejects a symbolic link member', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'link'), { name: 'l', disks: [], manifest: false });
    const path = join(scratch(), 'link.ova');
    await packTar(path, [
      { name: 'l.ovf', source: pkg.descriptorPath },
      { name: 'l-disk1.img', type: 'symlink', linkname: '/etc/shadow' },
    ]);
    const err = await rejectionOf(planSource({ kind: 'ova', path }));
    expect(err.code).toBe('OVA_UNSAFE_MEMBER');
    expect(err.message).toContain('symbolic link');
  });

  it('rejects a descriptor referencing a file the archive lacks', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'lack'), {
      name: 'k',
      disks: [{ size: 10 }],
      manifest: false,
    });
    const path = join(scratch(), 'lack.ova');
    await packTar(path, [{ name: 'k.ovf', source: pkg.descriptorPath }]);
    const err = await rejectionOf(planSource({ kind: 'ova', path }));
    expect(err.code).toBe('OVF_MISSING_FILE');
    expect(err.message).toContain(
      `OVF descriptor k.ovf in OVA ${path} references k-disk1.img, which is not a member`,
    );
  });

  it('rejects a member whose size differs from ovf:size', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'msize'), {
      name: 'z',
      disks: [{ size: 10 }],
      manifest: false,
    });
    const path = join(scratch(), 'msize.ova');
    await packTar(path, [
      { name: 'z.ovf', source: pkg.descriptorPath },
      { name: 'z-disk1.img', content: 'eleven byte' },
    ]);
    const err = await rejectionOf(planSource({ kind: 'ova', path }));
    expect(err.code).toBe('OVF_SIZE_MISMATCH');
    expect(err.message).toContain('ovf:size="10" for z-disk1.img, but the member is 11 bytes');
  });

  it('rejects a manifest naming a file the archive lacks', async () => {
    const pkg = await makeOvfPackage(join(scratch(), 'mfx'), {
      name: 'm',
      disks: [{ size: 10 }],
      manifest: 'SHA1',
    });
    const manifest = `${await readFile(pkg.manifestPath!, 'utf8')}SHA1(ghost.img)= ${'0'.repeat(40)}\n`;
    const path = join(scratch(), 'mfx.ova');
    await packTar(path, [
      { name: 'm.ovf', source: pkg.descriptorPath },
      { name: 'm.mf', content: manifest },
      { name: 'm-disk1.img', source: join(pkg.dir, 'm-disk1.img') },
    ]);
    const err = await rejectionOf(planSource({ kind: 'ova', path }));
    expect(err.code).toBe('MANIFEST_MISSING_FILE');
    expect(err.message).toContain(
      `manifest m.mf in OVA ${path} lists "ghost.img", which is not a member of the archive`,
    );
  });

  it('rejects a file that is not a tar archive', async () => {
    const f = await writeRandomFile(join(scratch(), 'random.ova'), 4096, 'noise');
    const err = await rejectionOf(planSource({ kind: 'ova', path: f.path }));
    expect(err.code).toBe('OVA_INVALID');
    expect(err.message).toContain('is not a tar archive');
  });

  it('rejects an archive without a descriptor', async () => {
    const path = join(scratch(), 'nodesc.ova');
    await packTar(path, [{ name: 'disk.img', content: 'x' }]);
    const err = await rejectionOf(planSource({ kind: 'ova', path }));
    expect(err.code).toBe('OVA_INVALID');
    expect(err.message).toContain('contains no .ovf descriptor');
  });
});
