/**
 * The workflow-side SHA-256 (workflows/lib/sha256.ts) against node:crypto: workflow ids that the
 * client computes with it must match what the workflow computes, and what older clients computed
 * with node:crypto (`name-sha256:` upload and download ids).
 */
import { createHash, randomBytes } from 'node:crypto';
import { hashedNameKey, sha256Hex } from '../../workflows/lib/sha256';

const node = (text: string) => createHash('sha256').update(text).digest('hex');

describe('sha256Hex', () => {
  it('matches node:crypto on the FIPS vectors and on every length across the block boundaries', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (let n = 0; n <= 200; n++) {
      const text = 'x'.repeat(n);
      expect(sha256Hex(text)).toBe(node(text));
    }
  });

  it('hashes the UTF-8 bytes, as node:crypto does with a string', () => {
    for (const text of [
      'Photon OS 5.0 – Ï',
      '日本語のテンプレート',
      'emoji 🚀📦',
      'lone \ud800 surrogate',
      'a/b\\c\n\t"',
    ]) {
      expect(sha256Hex(text)).toBe(node(text));
    }
    for (let i = 0; i < 50; i++) {
      const text = randomBytes(1 + i * 7).toString('latin1');
      expect(sha256Hex(text)).toBe(node(text));
    }
  });

  it('keys a name as name-sha256:<16 hex digits>, as upload ids always have', () => {
    expect(hashedNameKey('secret-item')).toBe(`name-sha256:${node('secret-item').slice(0, 16)}`);
  });
});
