/**
 * Fault injection: one registry used in-process (`sim.faults`) and over HTTP (`/__sim/faults/...`).
 * Option schemas double as the control API's request bodies.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { VAPI_ERROR_KINDS, kindForStatus } from './errors';
import type { VapiErrorKind } from './errors';
import { resolveOperation } from './operations';
import type { OperationName } from './operations';
import { WARNING_TYPES } from './state';
import type { WarningType } from './state';

const count = z.number().int().positive();

/** Destroy the connection after `afterBytes` bytes of the body of the next matching PUT and/or GET. */
export const ResetTransferOptions = z.object({
  direction: z.enum(['put', 'get', 'any']).default('any'),
  afterBytes: z.number().int().nonnegative(),
  /** Only transfers of this file name match. */
  fileName: z.string().optional(),
  /** How many transfers to cut. @default 1 */
  count: count.default(1),
});
export type ResetTransferOptions = z.input<typeof ResetTransferOptions>;

/** Answer the next `count` calls of `operation` with a vAPI error instead of running them. */
export const FailNextOptions = z.object({
  operation: z.string(),
  /** @default 1 */
  count: count.default(1),
  /** vAPI error kind; derived from `status` when only that is given. @default 'service_unavailable' */
  kind: z.enum(VAPI_ERROR_KINDS).optional(),
  /** HTTP status; derived from `kind` when omitted. */
  status: z.number().int().min(100).max(599).optional(),
  message: z.string().optional(),
  /** Destroy the connection instead of answering. */
  dropConnection: z.boolean().default(false),
});
export type FailNextOptions = z.input<typeof FailNextOptions>;

/**
 * Delay calls of `operation` ('*' = all) by `ms` before handling them: the server answers nothing meanwhile.
 * With `afterHandling` the call is handled first and only its answer is held: the server has acted, the client
 * does not know yet (a worker killed then loses what the call did).
 */
export const LatencyOptions = z.object({
  operation: z.string().default('*'),
  ms: z.number().int().nonnegative(),
  afterHandling: z.boolean().default(false),
  /** How many calls to delay. @default unlimited */
  count: count.optional(),
});
export type LatencyOptions = z.input<typeof LatencyOptions>;

/** Make the next prepare(s) of `fileName` (any file when omitted) end in ERROR instead of PREPARED. */
export const FailPrepareOptions = z.object({
  fileName: z.string().optional(),
  message: z.string().default('simulated prepare failure'),
  /** @default 1 */
  count: count.default(1),
});
export type FailPrepareOptions = z.input<typeof FailPrepareOptions>;

/** Report a wrong checksum for `fileName` (all files when omitted) in item and download-session file info. */
export const CorruptChecksumOptions = z.object({ fileName: z.string().optional() });
export type CorruptChecksumOptions = z.input<typeof CorruptChecksumOptions>;

/** Add a file with a hostile name to every download session's file list. */
export const HostileFileNameOptions = z.object({
  name: z.string().min(1).default('../evil'),
  content: z.string().default('evil\n'),
});
export type HostileFileNameOptions = z.input<typeof HostileFileNameOptions>;

/**
 * Serve GET bodies (of `fileName`, or of any file) at no more than `bytesPerSecond` until cleared:
 * a slow link at the source. Unlike a throttling proxy in front of the server, it leaves nothing
 * queued in socket buffers, so bytes counted as sent are bytes the client could have received.
 * `direction: 'put'` (or `'both'`) reads PUT bodies at that rate instead, each PUT on its own: one
 * stream's ceiling (a WAN link, a host's transfer stream), which concurrent files multiply.
 */
export const LimitRateOptions = z.object({
  bytesPerSecond: z.number().int().positive(),
  direction: z.enum(['get', 'put', 'both']).default('get'),
  fileName: z.string().optional(),
});
export type LimitRateOptions = z.input<typeof LimitRateOptions>;

/**
 * Make the preview of signed packages (whose `.cert` file is `fileName`, or any) report exactly these
 * warnings instead of what their certificate gives, e.g. EXPIRED_CERTIFICATE without crafting an expired
 * certificate. Decided when a session's preview first becomes AVAILABLE; `count` sessions (until cleared
 * when omitted).
 */
export const PreviewWarningsOptions = z.object({
  warnings: z.array(z.enum(WARNING_TYPES)),
  fileName: z.string().optional(),
  count: count.optional(),
});
export type PreviewWarningsOptions = z.input<typeof PreviewWarningsOptions>;

type Fault =
  | ({ type: 'reset-transfer' } & z.output<typeof ResetTransferOptions>)
  | ({ type: 'fail'; op: OperationName | '*'; kind: VapiErrorKind; status?: number } & z.output<
      typeof FailNextOptions
    >)
  | ({ type: 'latency'; op: OperationName | '*' } & z.output<typeof LatencyOptions>)
  | ({ type: 'prepare-error' } & z.output<typeof FailPrepareOptions>)
  | ({ type: 'corrupt-checksum' } & z.output<typeof CorruptChecksumOptions>)
  | ({ type: 'hostile-file-name' } & z.output<typeof HostileFileNameOptions>)
  | { type: 'disable-range' }
  | ({ type: 'limit-rate' } & z.output<typeof LimitRateOptions>)
  | ({ type: 'preview-warnings' } & z.output<typeof PreviewWarningsOptions>);

/** A registered fault as `list()` and `GET /__sim/faults` show it. */
export type FaultDescription = Fault & { id: string; remaining: number | null };

/** Returned by every fault registration. */
export interface FaultHandle {
  readonly id: string;
  /** Calls/transfers the fault will still affect; null = until cleared. */
  readonly remaining: number | null;
  clear(): void;
}

export interface FailureToInject {
  kind: VapiErrorKind;
  /** Only when the fault named one; otherwise the flavour's status for the kind. */
  status?: number;
  message: string;
  dropConnection: boolean;
}

interface Entry {
  id: string;
  fault: Fault;
  remaining: number | null;
}

/** The in-process fault API (`sim.faults`). */
export class Faults {
  private entries: Entry[] = [];

  constructor(
    private readonly hooks: {
      expireSession: (id: string) => void;
      invalidateLogins: () => void;
    },
  ) {}

  /** Cut the next PUT and/or GET after `afterBytes` body bytes (the socket is reset mid-body). */
  resetTransfer(opts: ResetTransferOptions): FaultHandle {
    const o = ResetTransferOptions.parse(opts);
    return this.add({ type: 'reset-transfer', ...o }, o.count);
  }

  /** Fail the next `count` calls of an operation with a vAPI error kind and/or HTTP status. */
  failNext(opts: FailNextOptions): FaultHandle {
    const o = FailNextOptions.parse(opts);
    const op = resolveOperation(o.operation);
    const kind = o.kind ?? (o.status !== undefined ? kindForStatus(o.status) : 'service_unavailable');
    // Without an explicit status each flavour answers with its own status for the kind.
    return this.add({ type: 'fail', op, ...o, kind, status: o.status }, o.count);
  }

  /** Delay an operation (or all with '*'); with a large `ms` the server answers nothing for that long. */
  addLatency(opts: LatencyOptions): FaultHandle {
    const o = LatencyOptions.parse(opts);
    return this.add({ type: 'latency', op: resolveOperation(o.operation), ...o }, o.count ?? null);
  }

  /** Make prepare of a file end in ERROR. */
  failPrepare(opts: FailPrepareOptions = {}): FaultHandle {
    const o = FailPrepareOptions.parse(opts);
    return this.add({ type: 'prepare-error', ...o }, o.count);
  }

  /** Report wrong checksums (item files, storage, download-session files) until cleared. */
  corruptChecksum(opts: CorruptChecksumOptions = {}): FaultHandle {
    return this.add({ type: 'corrupt-checksum', ...CorruptChecksumOptions.parse(opts) }, null);
  }

  /** Serve an extra file with a hostile name (default '../evil') in download-session file lists until cleared. */
  hostileFileName(opts: HostileFileNameOptions = {}): FaultHandle {
    return this.add({ type: 'hostile-file-name', ...HostileFileNameOptions.parse(opts) }, null);
  }

  /** Ignore Range headers (always 200 with the whole file, no Accept-Ranges) until cleared. */
  disableRange(): FaultHandle {
    return this.add({ type: 'disable-range' }, null);
  }

  /** Pace GET bodies at `bytesPerSecond` until cleared. */
  limitRate(opts: LimitRateOptions): FaultHandle {
    return this.add({ type: 'limit-rate', ...LimitRateOptions.parse(opts) }, null);
  }

  /** Force the warnings of signed-package previews (see PreviewWarningsOptions). */
  previewWarnings(opts: PreviewWarningsOptions): FaultHandle {
    const o = PreviewWarningsOptions.parse(opts);
    return this.add({ type: 'preview-warnings', ...o }, o.count ?? null);
  }

  /** Expire an update or download session now, exactly as the idle timeout would. */
  expireSession(sessionId: string): void {
    this.hooks.expireSession(sessionId);
  }

  /** Invalidate every login token: the next call with one gets 401 and the client must log in again. */
  invalidateLogins(): void {
    this.hooks.invalidateLogins();
  }

  list(): FaultDescription[] {
    return this.entries.map((e) => ({ ...e.fault, id: e.id, remaining: e.remaining }));
  }

  /** Clears one fault, or all of them. */
  clear(id?: string): void {
    this.entries = id === undefined ? [] : this.entries.filter((e) => e.id !== id);
  }

  // ---- used by the server ------------------------------------------------------------------

  /** Consumes a reset fault matching this transfer; returns the byte count to cut after. */
  takeReset(direction: 'put' | 'get', fileName: string): number | undefined {
    const e = this.find(
      (f) =>
        f.type === 'reset-transfer' &&
        (f.direction === 'any' || f.direction === direction) &&
        (f.fileName === undefined || f.fileName === fileName),
    );
    if (!e || e.fault.type !== 'reset-transfer') return undefined;
    this.consume(e);
    return e.fault.afterBytes;
  }

  takeFailure(op: OperationName): FailureToInject | undefined {
    const e = this.find((f) => f.type === 'fail' && (f.op === '*' || f.op === op));
    if (!e || e.fault.type !== 'fail') return undefined;
    this.consume(e);
    const f = e.fault;
    return {
      kind: f.kind,
      status: f.status,
      message: f.message ?? `simulated ${f.kind} for ${op}`,
      dropConnection: f.dropConnection,
    };
  }

  /** Total delay for this call before (or, `afterHandling`, after) handling it, consuming counted latency faults. */
  takeLatency(op: OperationName, afterHandling = false): number {
    let ms = 0;
    for (const e of [...this.entries]) {
      const f = e.fault;
      if (f.type === 'latency' && (f.op === '*' || f.op === op) && f.afterHandling === afterHandling) {
        ms += f.ms;
        this.consume(e);
      }
    }
    return ms;
  }

  takePrepareError(fileName: string): string | undefined {
    const e = this.find(
      (f) => f.type === 'prepare-error' && (f.fileName === undefined || f.fileName === fileName),
    );
    if (!e || e.fault.type !== 'prepare-error') return undefined;
    this.consume(e);
    return e.fault.message;
  }

  /** Consumes a preview-warnings fault matching this `.cert` file; returns the warnings to report. */
  takePreviewWarnings(certName: string): WarningType[] | undefined {
    const e = this.find(
      (f) => f.type === 'preview-warnings' && (f.fileName === undefined || f.fileName === certName),
    );
    if (!e || e.fault.type !== 'preview-warnings') return undefined;
    this.consume(e);
    return e.fault.warnings;
  }

  checksumCorrupted(fileName: string): boolean {
    return (
      this.find(
        (f) => f.type === 'corrupt-checksum' && (f.fileName === undefined || f.fileName === fileName),
      ) !== undefined
    );
  }

  hostile(): { name: string; content: string } | undefined {
    const e = this.find((f) => f.type === 'hostile-file-name');
    return e?.fault.type === 'hostile-file-name'
      ? { name: e.fault.name, content: e.fault.content }
      : undefined;
  }

  /** Bytes per second a GET of `fileName` may go at now, if limited. */
  rateLimit(fileName: string, direction: 'get' | 'put' = 'get'): number | undefined {
    const e = this.find(
      (f) =>
        f.type === 'limit-rate' &&
        (f.direction === direction || f.direction === 'both') &&
        (f.fileName === undefined || f.fileName === fileName),
    );
    return e?.fault.type === 'limit-rate' ? e.fault.bytesPerSecond : undefined;
  }

  rangeDisabled(): boolean {
    return this.find((f) => f.type === 'disable-range') !== undefined;
  }

  private add(fault: Fault, remaining: number | null): FaultHandle {
    const entry: Entry = { id: randomUUID(), fault, remaining };
    this.entries.push(entry);
    return {
      id: entry.id,
      get remaining() {
        return entry.remaining;
      },
      clear: () => this.clear(entry.id),
    };
  }

  private find(pred: (f: Fault) => boolean): Entry | undefined {
    return this.entries.find((e) => pred(e.fault));
  }

  private consume(e: Entry): void {
    if (e.remaining === null) return;
    e.remaining--;
    if (e.remaining <= 0) this.clear(e.id);
  }
}

/** Flips the checksum so it is still well-formed hex but wrong. */
export function corrupt(checksum: string): string {
  const first = checksum[0] ?? '0';
  return (first === '0' ? '1' : '0') + checksum.slice(1);
}
