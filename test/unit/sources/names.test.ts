import { unsafeNameReason } from '../../../activities/sources/names';

describe('unsafeNameReason', () => {
  it.each([
    ['', 'empty'],
    ['.', 'directory reference'],
    ['..', 'directory reference'],
    ['/abs.img', 'absolute path'],
    ['a/b.img', 'path separator'],
    ['a\\b.img', 'path separator'],
    ['a\0b.img', 'control character'],
    ['a\nb.img', 'control character'],
  ])('refuses %j', (name, why) => {
    expect(unsafeNameReason(name)).toContain(why);
  });

  it.each(['photon.ovf', 'disk 1 (copy).img', '..hidden', 'a..b', 'ünïcode.iso'])('accepts %j', (name) => {
    expect(unsafeNameReason(name)).toBeUndefined();
  });
});
