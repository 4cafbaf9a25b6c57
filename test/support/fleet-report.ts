/**
 * The fleet test's table (sagas, completed, compensated, lost, bytes re-sent, orphan sessions) per
 * vCenter and in total, and the counts it is made of: sessions left ACTIVE, bytes sent twice.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SettledSaga } from './fleet-outcomes';
import { MiB, type FleetServer } from './fleet-sagas';

/** An update or download session left ACTIVE on an item of the test's library. */
export interface LeftSession {
  kind: 'update' | 'download';
  id: string;
  /** The item's name: the saga's (`u3`, `d0`) or a sync item's (`iso1`). */
  item: string;
  /**
   * Why it is vcsim's and not clo's, when it is: vcsim ignores `client_token` (a second create
   * with the same token makes a second session, vcsim-notes.md), and a workflow task that timed out
   * runs its local activities again, the session create among them. So a session on vcsim that
   * the saga does not name, on the item of a saga whose workflow task ran again, is the duplicate
   * a vCenter (or the simulator) would have answered with the saga's own session.
   */
  vcsimDuplicate?: string;
}

/**
 * Update and download sessions still ACTIVE on `server` for items of the test's library: none
 * may be left once every saga ended (vcsim lists every session ever made, with its state; it is
 * shared with other tests, so only this library's items count).
 */
export async function sessionsLeft(server: FleetServer): Promise<LeftSession[]> {
  const { rest, library } = server;
  const items = new Map(
    await Promise.all(
      (await rest.listLibraryItems(library.id)).map(
        async (id) => [id, (await rest.getLibraryItem(id)).name] as const,
      ),
    ),
  );
  const left: LeftSession[] = [];
  for (const id of await rest.listUpdateSessions()) {
    const s = await rest.getUpdateSession(id).catch(() => undefined);
    const item = s && items.get(s.library_item_id);
    if (item !== undefined && s?.state === 'ACTIVE') left.push({ kind: 'update', id, item });
  }
  for (const id of await rest.listDownloadSessions()) {
    const s = await rest.getDownloadSession(id).catch(() => undefined);
    const item = s && items.get(s.library_item_id);
    if (item !== undefined && s?.state === 'ACTIVE') left.push({ kind: 'download', id, item });
  }
  return left;
}

/** Marks the sessions left on vcsim that are its duplicates (see LeftSession.vcsimDuplicate). */
export function explainLeft(server: FleetServer, left: LeftSession[], settled: SettledSaga[]): LeftSession[] {
  if (server.name !== 'vcsim') return left;
  return left.map((l) => {
    const owner = settled.find(
      (s) =>
        s.saga.server === server &&
        (s.saga.name === l.item || (s.saga.kind === 'sync' && l.item in s.saga.expected)),
    );
    const rerun = owner?.retried.find((r) => r.startsWith('workflow task'));
    if (!owner || owner.sessionIds.includes(l.id) || !rerun) return l;
    return { ...l, vcsimDuplicate: `${owner.saga.kind} ${owner.saga.name}: ${rerun}` };
  });
}

export interface Row {
  target: string;
  sagas: number;
  completed: number;
  compensated: number;
  lost: number;
  /** Bytes the data path carried beyond what the sagas had to move once. */
  resent: number;
  /** What the transfer retries allowed (see SettledSaga.retryAllowance). */
  allowance: number;
  /** Transfer attempts after the first. */
  retries: number;
  /** Sessions left ACTIVE that clo is answerable for. */
  orphans: number;
  /** Sessions left ACTIVE that are vcsim's duplicates (LeftSession.vcsimDuplicate). */
  vcsimDuplicates: number;
}

/** One row for `server`: its sagas' outcomes, its proxy's byte count, its sessions left. */
export function rowFor(server: FleetServer, settled: SettledSaga[], left: LeftSession[]): Row {
  const mine = settled.filter((s) => s.saga.server === server);
  const once = mine.reduce((n, s) => n + s.saga.bytes, 0);
  const count = (o: SettledSaga['outcome']) => mine.filter((s) => s.outcome === o).length;
  return {
    target: server.name,
    sagas: mine.length,
    completed: count('completed'),
    compensated: count('compensated'),
    lost: count('lost'),
    resent: Math.max(0, server.proxy.up + server.proxy.down - once),
    allowance: mine.reduce((n, s) => n + s.retryAllowance, 0),
    retries: mine.reduce((n, s) => n + s.retries, 0),
    orphans: left.filter((l) => !l.vcsimDuplicate).length,
    vcsimDuplicates: left.filter((l) => l.vcsimDuplicate).length,
  };
}

export function totalOf(rows: Row[]): Row {
  const add = (k: keyof Omit<Row, 'target'>) => rows.reduce((n, r) => n + r[k], 0);
  return {
    target: 'total',
    sagas: add('sagas'),
    completed: add('completed'),
    compensated: add('compensated'),
    lost: add('lost'),
    resent: add('resent'),
    allowance: add('allowance'),
    retries: add('retries'),
    orphans: add('orphans'),
    vcsimDuplicates: add('vcsimDuplicates'),
  };
}

const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/** The rows and their total as a Markdown table. */
export function table(rows: Row[]): string {
  const head = [
    'target',
    'sagas',
    'completed',
    'compensated',
    'lost',
    'bytes re-sent',
    'transfer retries',
    'orphan sessions',
  ];
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [
    line(head),
    line(head.map(() => '---')),
    ...[...rows, totalOf(rows)].map((r) =>
      line([r.target, r.sagas, r.completed, r.compensated, r.lost, mib(r.resent), r.retries, r.orphans]),
    ),
  ].join('\n');
}

/** A line under the table for sessions vcsim duplicated, when there were any. */
export function footnote(rows: Row[]): string {
  const n = totalOf(rows).vcsimDuplicates;
  return n === 0
    ? ''
    : `\n\nAlso left on vcsim: ${n} duplicate session(s) of re-run creates (vcsim ignores client_token; ` +
        'a vCenter or the simulator answers a re-run create with the same session).\n';
}

/** Writes `text` to `path` (test-artifacts/…), creating the directory. */
export async function writeArtifact(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
