/**
 * Operation names: the unit for call counts, latency and "fail the next N calls", the same for both
 * flavours (a fault on `updatesession.complete` hits `~action=complete` and `?action=complete`). They
 * follow the API's service.method names, with the REST action spelling (`keep-alive`).
 */
export const OPERATIONS = [
  'session.create',
  'session.get',
  'session.delete',
  'library.create',
  'library.list',
  'library.get',
  'library.find',
  'library.update',
  'library.delete',
  'item.create',
  'item.list',
  'item.get',
  'item.find',
  'item.update',
  'item.delete',
  'item.file.list',
  'item.file.get',
  'item.storage.list',
  'item.storage.get',
  'updatesession.create',
  'updatesession.list',
  'updatesession.get',
  'updatesession.update',
  'updatesession.keep-alive',
  'updatesession.complete',
  'updatesession.cancel',
  'updatesession.fail',
  'updatesession.delete',
  'updatesession.file.add',
  'updatesession.file.get',
  'updatesession.file.list',
  'updatesession.file.remove',
  'updatesession.file.validate',
  'downloadsession.create',
  'downloadsession.list',
  'downloadsession.get',
  'downloadsession.keep-alive',
  'downloadsession.cancel',
  'downloadsession.fail',
  'downloadsession.delete',
  'downloadsession.file.list',
  'downloadsession.file.get',
  'downloadsession.file.prepare',
  'transfer.put',
  'transfer.get',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

/** Short names accepted by the fault API: `file.add` is the update-session file add. */
const ALIASES: Record<string, OperationName> = {
  'file.add': 'updatesession.file.add',
  'file.get': 'updatesession.file.get',
  'file.list': 'updatesession.file.list',
  'file.remove': 'updatesession.file.remove',
  'file.validate': 'updatesession.file.validate',
  'updatesession.keep_alive': 'updatesession.keep-alive',
  'downloadsession.keep_alive': 'downloadsession.keep-alive',
  'transfer.head': 'transfer.get',
};

/** Resolves an operation name or alias; '*' (all operations) passes through; unknown names throw so typos fail loudly. */
export function resolveOperation(name: string): OperationName | '*' {
  if (name === '*') return '*';
  if ((OPERATIONS as readonly string[]).includes(name)) return name as OperationName;
  const alias = ALIASES[name];
  if (alias) return alias;
  throw new Error(`unknown simulator operation ${JSON.stringify(name)}; known: ${OPERATIONS.join(', ')}`);
}
