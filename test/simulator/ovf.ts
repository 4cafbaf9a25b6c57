/**
 * Just enough OVF to play the "type adapter" of an ovf item: the names an .ovf descriptor's
 * References section points at (`<File ovf:href="disk1.vmdk" .../>`). A regex, not an XML parser:
 * the simulator only needs the hrefs of well-formed descriptors.
 */
import fs from 'node:fs';

const FILE_HREF = /<(?:[\w-]+:)?File\b[^>]*?\s(?:[\w-]+:)?href\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const MAX_DESCRIPTOR = 16 << 20;

/** The hrefs a descriptor's `<File>` elements reference, in document order, without duplicates. */
export function ovfReferences(xml: string): string[] {
  const names = new Set<string>();
  for (const m of xml.matchAll(FILE_HREF)) {
    const href = m[1] ?? m[2];
    if (href) names.add(href);
  }
  return [...names];
}

/** Reads a descriptor from disk (bounded) and returns its references; an unreadable file references nothing. */
export function ovfReferencesOfFile(path: string): string[] {
  try {
    const fd = fs.openSync(path, 'r');
    try {
      const buf = Buffer.alloc(Math.min(fs.fstatSync(fd).size, MAX_DESCRIPTOR));
      fs.readSync(fd, buf, 0, buf.length, 0);
      return ovfReferences(buf.toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return [];
  }
}
