/**
 * The /__sim/ control API from another process (a test driving a simulator started by main.ts):
 * the same fault calls as `sim.faults`, over HTTP with fetch.
 */
import type {
  CorruptChecksumOptions,
  FailNextOptions,
  FailPrepareOptions,
  FaultDescription,
  HostileFileNameOptions,
  LatencyOptions,
  LimitRateOptions,
  PreviewWarningsOptions,
  ResetTransferOptions,
} from './faults';
import type { StatsSnapshot } from './stats';

export interface SimulatorControl {
  info(): Promise<{
    url: string;
    datastore: string;
    thumbprint?: string;
    dataDir: string;
    sessionIdleTimeoutMs: number;
    prepareDelayMs: number;
  }>;
  configure(c: {
    sessionIdleTimeoutMs?: number;
    prepareDelayMs?: number;
    /** PEM certificates whose signatures (and those they issued) signed-package previews trust. */
    trustedCertificates?: string[];
  }): Promise<void>;
  stats(): Promise<StatsSnapshot>;
  resetStats(): Promise<void>;
  faults(): Promise<FaultDescription[]>;
  clearFaults(id?: string): Promise<void>;
  resetTransfer(o: ResetTransferOptions): Promise<string>;
  failNext(o: FailNextOptions): Promise<string>;
  addLatency(o: LatencyOptions): Promise<string>;
  failPrepare(o?: FailPrepareOptions): Promise<string>;
  corruptChecksum(o?: CorruptChecksumOptions): Promise<string>;
  hostileFileName(o?: HostileFileNameOptions): Promise<string>;
  disableRange(): Promise<string>;
  limitRate(o: LimitRateOptions): Promise<string>;
  previewWarnings(o: PreviewWarningsOptions): Promise<string>;
  expireSession(sessionId: string): Promise<void>;
  invalidateLogins(): Promise<void>;
}

/** A client for the control API of the simulator at `baseUrl`. */
export function simulatorControl(baseUrl: string): SimulatorControl {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${baseUrl}/__sim/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`simulator control ${method} ${path}: ${res.status} ${json.error ?? ''}`);
    return json;
  }
  const fault = async (kind: string, body: unknown = {}): Promise<string> =>
    (await call<{ id: string }>('POST', `faults/${kind}`, body)).id;
  return {
    info: () => call('GET', 'info'),
    configure: async (c) => void (await call('PUT', 'config', c)),
    stats: () => call('GET', 'stats'),
    resetStats: async () => void (await call('POST', 'stats/reset', {})),
    faults: () => call('GET', 'faults'),
    clearFaults: async (id) =>
      void (await call('DELETE', id === undefined ? 'faults' : `faults/${encodeURIComponent(id)}`)),
    resetTransfer: (o) => fault('reset-transfer', o),
    failNext: (o) => fault('fail', o),
    addLatency: (o) => fault('latency', o),
    failPrepare: (o) => fault('fail-prepare', o),
    corruptChecksum: (o) => fault('corrupt-checksum', o),
    hostileFileName: (o) => fault('hostile-file-name', o),
    disableRange: () => fault('disable-range'),
    limitRate: (o) => fault('limit-rate', o),
    previewWarnings: (o) => fault('preview-warnings', o),
    expireSession: async (id) => void (await call('POST', 'expire-session', { session_id: id })),
    invalidateLogins: async () => void (await call('POST', 'invalidate-logins', {})),
  };
}
