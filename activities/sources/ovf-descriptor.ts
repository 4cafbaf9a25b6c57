/**
 * Reads an OVF descriptor's file references (`Envelope/References/File`). Only the
 * references matter for an upload: vCenter parses the rest itself. Namespace prefixes
 * vary between tools (`ovf:File`, `File`, attributes `ovf:href` or `href`), so prefixes
 * are dropped before looking.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SourceError } from './errors';
import { quoteName, unsafeNameReason } from './names';

/** The most files one descriptor may reference; real OVF packages have a handful. */
export const MAX_OVF_FILES = 1000;

/** One `References/File` of a descriptor. */
export interface OvfReference {
  /** `ovf:href`: a file name beside the descriptor (checked to be a single safe segment). */
  href: string;
  /** `ovf:size` in bytes, when declared. */
  size?: number;
  /** `ovf:id`, for messages. */
  id?: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  // One File element parses as an object, several as an array; always take an array.
  isArray: (_name, jPath) => jPath === 'Envelope.References.File',
});

/**
 * The descriptor's references, deduplicated by href, in document order. `subject` names the
 * descriptor in messages (e.g. `OVF descriptor /x/photon.ovf`).
 */
export function parseOvfDescriptor(xml: string, subject: string, path: string): OvfReference[] {
  const invalid = (why: string) => new SourceError('OVF_INVALID', `${subject} ${why}`, { path });
  const text = xml.replace(/^\uFEFF/, '');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw invalid(
      `is not well-formed XML (line ${line}, column ${col}: ${msg}); is it really an OVF descriptor?`,
    );
  }
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (err) {
    throw new SourceError('OVF_INVALID', `${subject} could not be parsed as XML: ${(err as Error).message}`, {
      path,
      cause: err,
    });
  }
  const envelope = field(doc, 'Envelope');
  if (envelope === undefined) throw invalid('has no Envelope root element; it is not an OVF descriptor');
  const references = field(envelope, 'References');
  if (references === undefined) {
    throw invalid('lacks Envelope/References; an OVF descriptor must list its files there (it may be empty)');
  }
  const files = field(references, 'File');
  if (files === undefined) return [];
  if (!Array.isArray(files)) throw invalid('has a malformed Envelope/References/File');
  // Each file becomes a planned file, a session file and a progress entry in workflow history:
  // tens of thousands would blow the history and payload limits long before they were sent.
  if (files.length > MAX_OVF_FILES) {
    throw invalid(
      `references ${files.length} files, more than the ${MAX_OVF_FILES} one item may hold; check that source.path names a real OVF descriptor`,
    );
  }

  const seen = new Map<string, OvfReference>();
  files.forEach((file: unknown, index) => {
    const at = `References/File[${index + 1}]`;
    const href = field(file, '@_href');
    if (typeof href !== 'string' || href === '') throw invalid(`${at} has no ovf:href; every File needs one`);
    const why = unsafeNameReason(href);
    if (why) {
      throw new SourceError(
        'OVF_UNSAFE_REFERENCE',
        `${subject} references ${quoteName(href)}, which is not a plain file name beside the descriptor (${why}); ` +
          'only files in the same directory (or OVA) as the descriptor can be uploaded, so fix the ovf:href',
        { path },
      );
    }
    if (field(file, '@_chunkSize') !== undefined) {
      throw invalid(
        `${at} (${href}) is split into chunks (ovf:chunkSize), which is not supported; re-export it unchunked`,
      );
    }
    const ref: OvfReference = { href };
    const id = field(file, '@_id');
    if (typeof id === 'string') ref.id = id;
    const size = field(file, '@_size');
    if (size !== undefined) {
      const text = typeof size === 'string' ? size.trim() : '';
      const n = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
        throw invalid(
          `${at} (${href}) has ovf:size=${JSON.stringify(text)}; expected a whole number of bytes`,
        );
      }
      ref.size = n;
    }
    const earlier = seen.get(href);
    if (earlier === undefined) seen.set(href, ref);
    else if (earlier.size === undefined && ref.size !== undefined) earlier.size = ref.size;
    else if (ref.size !== undefined && earlier.size !== ref.size) {
      throw invalid(`references ${href} twice with different ovf:size (${earlier.size} and ${ref.size})`);
    }
  });
  return [...seen.values()];
}

/**
 * `value[key]` when value is an object, else undefined. The parser yields '' for an empty
 * element such as `<References/>`, so presence is `!== undefined`, not truthiness.
 */
function field(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  return (value as Record<string, unknown>)[key];
}
