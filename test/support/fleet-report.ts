/**
 * The fleet test's table (sagas, completed, compensated, lost, bytes re-sent, orphan sessions) per
 * vCenter and in total, and the counts it is made of: sessions left ACTIVE, bytes sent twice.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SettledSaga } from './fleet-outcomes';
import { MiB, type FleetServer } from './fleet-sagas';

/**
 * Update and download sessions still ACTIVE on `server` for items of the test's library: none
 * may be left once every saga ended (vcsim lists every session ever made, with its state; it is
 * shared with other tests, so only this library's items count).
 */
export async function orphanSessions(server: FleetServer): Promise<string[]> {
  const { rest, library } = server;
  const items = new Map(
    await Promise.all(
      (await rest.listLibraryItems(library.id)).map(
        async (id) => [id, (await rest.getLibraryItem(id)).name] as const,
      ),
    ),
  );
  const left: string[] = [];
  for (const id of await rest.listUpdateSessions()) {
    const s = await rest.getUpdateSession(id).catch(() => undefined);
    if (s && items.has(s.library_item_id) && s.state === 'ACTIVE')
      left.push(`update ${id} on item ${items.get(s.library_item_id)} (progress ${s.client_progress})`);
  }
  for (const id of await rest.listDownloadSessions()) {
    const s = await rest.getDownloadSession(id).catch(() => undefined);
    if (s && items.has(s.library_item_id) && s.state === 'ACTIVE')
      left.push(`download ${id} on item ${items.get(s.library_item_id)}`);
  }
  return left;
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
  orphans: number;
}

/** One row for `server`: its sagas' outcomes, its proxy's byte count, its sessions left. */
export function rowFor(server: FleetServer, settled: SettledSaga[], orphans: number): Row {
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
    orphans,
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

/** Writes `text` to `path` (test-artifacts/…), creating the directory. */
export async function writeArtifact(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
