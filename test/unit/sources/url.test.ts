import { planSource } from '../../../activities/sources';
import { rejectionOf } from './helpers';

describe('planSource for a URL', () => {
  it('names the file after the last path segment, decoded, and keeps the pull details', async () => {
    const plan = await planSource({
      kind: 'url',
      url: 'https://images.example.com/photon/Photon%205.0%20GA.iso?release=5',
      size: 1234,
      sslCertificateThumbprint: 'AA:BB',
      checksum: { algorithm: 'SHA1', checksum: 'a'.repeat(40) },
    });
    expect(plan).toEqual({
      kind: 'url',
      itemType: 'iso',
      displayName: 'Photon 5.0 GA.iso',
      files: [
        {
          name: 'Photon 5.0 GA.iso',
          size: 1234,
          origin: {
            kind: 'url',
            url: 'https://images.example.com/photon/Photon%205.0%20GA.iso?release=5',
            sslCertificateThumbprint: 'AA:BB',
            checksum: { algorithm: 'SHA1', checksum: 'a'.repeat(40) },
          },
        },
      ],
      totalBytes: 1234,
    });
  });

  it.each([
    ['http://h/a/photon.ova', 'ovf'],
    ['http://h/a/photon.OVF', 'ovf'],
    ['http://h/a/readme.txt', 'file'],
  ])('suggests the item type for %s', async (url, itemType) => {
    expect((await planSource({ kind: 'url', url, allowPlainHttp: true })).itemType).toBe(itemType);
  });

  it('leaves the size out when it is not given', async () => {
    const plan = await planSource({ kind: 'url', url: 'http://h/x.bin', allowPlainHttp: true });
    expect(plan.files[0]).not.toHaveProperty('size');
    expect(plan.totalBytes).toBe(0);
  });

  it('prefers source.name over the URL', async () => {
    const plan = await planSource({
      kind: 'url',
      url: 'http://h/download?id=7',
      name: 'tool.iso',
      allowPlainHttp: true,
    });
    expect(plan.files[0]?.name).toBe('tool.iso');
    expect(plan.itemType).toBe('iso');
  });

  it.each([
    ['http://h/dir/', 'has no file name'],
    ['http://h/a/..%2Fetc%2Fpasswd', 'path separator'],
    ['http://h/a/%2E%2E', 'has no file name'],
    ['http://h/a/x%00.iso', 'control character'],
    ['http://h/a/%E0%A4%A', 'not valid percent-encoding'],
  ])('refuses to derive a name from %s', async (url, why) => {
    const err = await rejectionOf(planSource({ kind: 'url', url, allowPlainHttp: true }));
    expect(err).toMatchObject({ name: 'SourceError', code: 'URL_INVALID' });
    expect(err.message).toContain(why);
    expect(err.message).toContain('set source.name');
  });

  it('refuses a non-http URL and credentials in the URL', async () => {
    expect((await rejectionOf(planSource({ kind: 'url', url: 'ftp://h/x.iso' }))).code).toBe('URL_INVALID');
    const err = await rejectionOf(planSource({ kind: 'url', url: 'https://u:p@h/x.iso' }));
    expect(err.code).toBe('URL_INVALID');
    expect(err.message).not.toContain('u:p');
  });

  it('refuses a query token, naming the field and the fix, without repeating the token', async () => {
    const err = await rejectionOf(
      planSource({ kind: 'url', url: 'https://h/x.iso?X-Amz-Signature=abcdef0123456789' }),
    );
    expect(err.code).toBe('URL_INVALID');
    expect(err.message).toContain('source.url carries credentials (the parameter "X-Amz-Signature")');
    expect(err.message).toContain('https://h/x.iso?X-Amz-Signature=[REDACTED]');
    expect(err.message).not.toContain('abcdef0123456789');
  });

  it('refuses plain http unless source.allowPlainHttp', async () => {
    const err = await rejectionOf(planSource({ kind: 'url', url: 'http://h/x.iso' }));
    expect(err.code).toBe('URL_INVALID');
    expect(err.message).toContain('source.url is plain http');
    expect(err.message).toContain('--allow-plain-http');
    await expect(
      planSource({ kind: 'url', url: 'http://h/x.iso', allowPlainHttp: true }),
    ).resolves.toBeTruthy();
  });

  it('refuses an unsafe source.name', async () => {
    const err = await rejectionOf(planSource({ kind: 'url', url: 'https://h/x.iso', name: 'a/b.iso' }));
    expect(err.code).toBe('NAME_INVALID');
  });
});
