/**
 * What counts as a safe item file name. Names come from OVF hrefs, tar members and
 * URLs, all of which an attacker or a careless tool may control, and they end up both
 * as paths joined onto a directory here and as file names in the library item.
 */
import { SourceError } from './errors';

/**
 * Why `name` is not a single safe path segment, or undefined when it is.
 * Rejects empty, `.`/`..`, separators (`/`, `\`), NUL and other control characters.
 */
export function unsafeNameReason(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name === '.' || name === '..') return `"${name}" is a directory reference`;
  if (name.startsWith('/')) return 'it is an absolute path';
  if (name.includes('/') || name.includes('\\')) return 'it contains a path separator';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it contains a control character';
  return undefined;
}

/** The name as it should appear in a message: quoted, control characters escaped. */
export function quoteName(name: string): string {
  return JSON.stringify(name);
}

/** Throws NAME_INVALID unless `name` (from input field `field`) is a single safe file name. */
export function assertItemFileName(name: string, field: string): void {
  const why = unsafeNameReason(name);
  if (why) {
    throw new SourceError(
      'NAME_INVALID',
      `${field} ${quoteName(name)} is not a usable item file name: ${why}; give a plain file name such as "photon.iso"`,
    );
  }
}
