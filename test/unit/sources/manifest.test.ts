import { createHash } from 'node:crypto';
import { createDigester, parseManifest } from '../../../activities/sources';
import { thrownBy } from './helpers';

const sha1 = 'a'.repeat(40);
const sha256 = 'B'.repeat(64);
const sha512 = 'c'.repeat(128);

describe('parseManifest', () => {
  it('reads SHA1, SHA256 and SHA512 lines, with or without the space, lowercasing the hex', () => {
    const text = `SHA1(a.ovf)= ${sha1}\r\nSHA256(disk (1).img)=${sha256}\n\nSHA512(b.img)= ${sha512}\n`;
    expect([...parseManifest(text, '/x/p.mf')]).toEqual([
      ['a.ovf', { algorithm: 'SHA1', hex: sha1 }],
      ['disk (1).img', { algorithm: 'SHA256', hex: sha256.toLowerCase() }],
      ['b.img', { algorithm: 'SHA512', hex: sha512 }],
    ]);
  });

  it.each([
    ['MD5(a.img)= ' + 'a'.repeat(32), 'algorithm "MD5" is not supported'],
    ['SHA1(a.img) ' + sha1, 'expected "SHA256(name)= <hex>"'],
    ['SHA1(a.img)= ' + 'a'.repeat(39), 'a SHA1 digest is 40 hex digits'],
    ['SHA256(a.img)= ' + 'z'.repeat(64), 'a SHA256 digest is 64 hex digits'],
    ['SHA1()= ' + sha1, 'the file name is empty'],
  ])('rejects %j with its line number', (line, why) => {
    const err = thrownBy(() => parseManifest(`SHA1(ok.img)= ${sha1}\n${line}\n`, '/x/p.mf'));
    expect(err.code).toBe('MANIFEST_MALFORMED');
    expect(err.message).toContain('manifest /x/p.mf line 2 is malformed: ');
    expect(err.message).toContain(why);
  });

  it('rejects one file listed twice with different digests', () => {
    const err = thrownBy(() => parseManifest(`SHA1(a)= ${sha1}\nSHA1(a)= ${'b'.repeat(40)}\n`, 'p.mf'));
    expect(err.message).toContain('line 2 is malformed');
    expect(err.message).toContain('listed twice');
  });
});

describe('createDigester', () => {
  it('hashes chunks under every requested algorithm, matching a one-shot hash', () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog'.repeat(1000));
    const d = createDigester(['SHA1', 'SHA256', 'SHA512', 'MD5', 'SHA1']);
    for (let i = 0; i < data.length; i += 777) d.update(data.subarray(i, i + 777));
    const digests = d.digests();
    expect(digests).toEqual({
      SHA1: createHash('sha1').update(data).digest('hex'),
      SHA256: createHash('sha256').update(data).digest('hex'),
      SHA512: createHash('sha512').update(data).digest('hex'),
      MD5: createHash('md5').update(data).digest('hex'),
    });
    expect(d.digests()).toEqual(digests);
    expect(() => d.update(data)).toThrow(/after digests/);
  });
});
