/**
 * Payload encryption keys as configured: `id=base64key` entries, one per line in
 * `CLO_ENCRYPTION_KEY_FILE` (blank lines and `#` comments allowed) or separated by commas in
 * `CLO_ENCRYPTION_KEYS`. The first entry is the active key (it encrypts); every entry decrypts.
 * Rotating: put the new key first and keep the old ones below it while histories sealed
 * with them are still read.
 *
 * Kept apart from temporal.config.ts (which validates with it) so the config file stays one
 * schema; it imports nothing of the project, so config → here → nothing has no cycle.
 */
import { readFileSync } from 'node:fs';
import { createSecretKey } from 'node:crypto';
import type { z } from 'zod';
import type { EncryptionKey } from './encryption-codec';

/** The keys of a configuration with encryption on. */
export interface EncryptionSettings {
  keys: EncryptionKey[];
  /** The first configured key's id: new payloads are sealed with it. */
  activeKeyId: string;
}

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HOW = "expected id=base64key entries such as k2026=<output of 'openssl rand -base64 32'>";

/**
 * Parses key entries; returns the problems instead when there are any. A problem names the
 * entry by its position and id, never by its key material.
 */
export function parseEncryptionKeys(
  entries: readonly string[],
  where: (index: number) => string,
): EncryptionSettings | { problems: string[] } {
  const problems: string[] = [];
  const keys: EncryptionKey[] = [];
  entries.forEach((entry, index) => {
    const eq = entry.indexOf('=');
    const id = eq > 0 ? entry.slice(0, eq).trim() : '';
    const value = eq > 0 ? entry.slice(eq + 1).trim() : '';
    if (!KEY_ID.test(id) || !value) {
      problems.push(`${where(index)}: ${HOW}; ids are letters, digits, '.', '_' or '-'`);
      return;
    }
    if (keys.some((k) => k.id === id)) {
      problems.push(`${where(index)}: key id "${id}" appears twice; each key needs its own id`);
      return;
    }
    const bytes = BASE64.test(value) && value.length % 4 === 0 ? Buffer.from(value, 'base64') : undefined;
    if (!bytes) {
      problems.push(`${where(index)}: key "${id}" is not valid base64; ${HOW}`);
      return;
    }
    if (bytes.length !== 32) {
      problems.push(
        `${where(index)}: key "${id}" is ${bytes.length} bytes; AES-256 needs 32 (openssl rand -base64 32)`,
      );
      return;
    }
    keys.push({ id, key: createSecretKey(bytes) });
  });
  if (problems.length) return { problems };
  if (!keys.length) return { problems: [`no keys; ${HOW}`] };
  return { keys, activeKeyId: keys[0]!.id };
}

/**
 * The zod transform of `temporal.encryption` (`{ keyFile?, keys? }`): reads the file, checks
 * every key, and yields the settings, or undefined when no key is configured (encryption off).
 */
export function encryptionSettings(
  raw: { keyFile?: string | undefined; keys?: string | undefined },
  ctx: z.RefinementCtx,
): EncryptionSettings | undefined {
  if (raw.keyFile && raw.keys) {
    ctx.addIssue({
      code: 'custom',
      path: ['keys'],
      message: 'set one of CLO_ENCRYPTION_KEY_FILE and CLO_ENCRYPTION_KEYS, not both',
    });
    return undefined;
  }
  let entries: string[];
  let path: string;
  let where: (index: number) => string;
  if (raw.keyFile) {
    path = 'keyFile';
    let text: string;
    try {
      text = readFileSync(raw.keyFile, 'utf8');
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: [path],
        message: `cannot read the key file ${raw.keyFile} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      });
      return undefined;
    }
    const lines = text.split('\n').map((line, n) => ({ line: line.trim(), n: n + 1 }));
    const kept = lines.filter(({ line }) => line && !line.startsWith('#'));
    entries = kept.map(({ line }) => line);
    where = (index) => `${raw.keyFile} line ${kept[index]!.n}`;
  } else if (raw.keys) {
    path = 'keys';
    entries = raw.keys
      .split(/[,\n]/)
      .map((e) => e.trim())
      .filter(Boolean);
    where = (index) => `entry ${index + 1}`;
  } else {
    return undefined;
  }
  const parsed = parseEncryptionKeys(entries, where);
  if ('problems' in parsed) {
    for (const message of parsed.problems) ctx.addIssue({ code: 'custom', path: [path], message });
    return undefined;
  }
  return parsed;
}
