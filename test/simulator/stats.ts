/** Observability for tests: call counts, bytes per session, sessions and their states, concurrency. */
import type { Flavour } from './context';
import type { OperationName } from './operations';

/** One session as `stats.sessions()` lists it; `ended` is set once it was deleted or expired. */
export interface SessionSummary {
  kind: 'update' | 'download';
  id: string;
  library_item_id: string;
  state: string;
  client_progress?: number;
  expiration_time?: string;
  ended?: 'deleted' | 'expired';
}

/** Everything at once, as `GET /__sim/stats` returns it. */
export interface StatsSnapshot {
  calls: Record<string, number>;
  bytesReceived: Record<string, number>;
  bytesSent: Record<string, number>;
  sessions: SessionSummary[];
  /** Live login sessions (see Stats.logins). */
  logins: number;
  inFlight: number;
  peakConcurrentRequests: number;
  /** ACTIVE update and download sessions now (see Stats.activeSessions). */
  activeSessions: number;
  /** The most ACTIVE sessions at once since start or the last reset (see Stats.peakActiveSessions). */
  peakActiveSessions: number;
}

export class Stats {
  private callCounts = new Map<string, number>();
  private flavourCounts = new Map<Flavour, number>();
  private received = new Map<string, number>();
  private sent = new Map<string, number>();
  private current = 0;
  private peak = 0;
  private peakActive = 0;

  constructor(
    private readonly listSessions: () => SessionSummary[],
    private readonly countLogins: () => number = () => 0,
    private readonly countActive: () => number = () => 0,
  ) {}

  /**
   * Login sessions alive now: `cis/session` create ("Creates a session with the API. This is the
   * equivalent of login.") adds one; delete ("Terminates the validity of a session token. This is
   * the equivalent of log out.") and invalidateLogins() remove them (api-8.0.2/session.json).
   */
  logins(): number {
    return this.countLogins();
  }

  /** Calls of one operation so far (every call that reached routing, failed or not). */
  calls(op: OperationName): number {
    return this.callCounts.get(op) ?? 0;
  }

  /**
   * API calls (the data path excluded: its URLs are the same for both) that arrived over /api or
   * over /rest, so a test can tell which flavour a client really spoke.
   */
  callsOver(flavour: Flavour): number {
    return this.flavourCounts.get(flavour) ?? 0;
  }

  /** Bytes the server received for an update session (PUT bodies and PULLs). */
  bytesReceived(sessionId: string): number {
    return this.received.get(sessionId) ?? 0;
  }

  /** Bytes the server sent for a download session (GET bodies). */
  bytesSent(sessionId: string): number {
    return this.sent.get(sessionId) ?? 0;
  }

  /** Live sessions first, then ended ones with how they ended. */
  sessions(): SessionSummary[] {
    return this.listSessions();
  }

  /** Requests being handled now (transfers included; /__sim/ excluded). */
  get inFlight(): number {
    return this.current;
  }

  /** Highest number of requests handled at once since start or the last reset(). */
  get peakConcurrentRequests(): number {
    return this.peak;
  }

  /**
   * Update and download sessions in state ACTIVE now: the transfers a vCenter serves at once.
   * An instrument for tests of clo's own limits (`maxConcurrentTransfers`), not a documented
   * rule: the docs set no number, and the simulator refuses no session for it.
   */
  get activeSessions(): number {
    return this.countActive();
  }

  /**
   * The most ACTIVE sessions at once since start or the last reset(). Exact: only a create adds
   * an ACTIVE session, and the server counts after each one (sessionCreated).
   */
  get peakActiveSessions(): number {
    return this.peakActive;
  }

  snapshot(): StatsSnapshot {
    return {
      calls: Object.fromEntries(this.callCounts),
      bytesReceived: Object.fromEntries(this.received),
      bytesSent: Object.fromEntries(this.sent),
      sessions: this.sessions(),
      logins: this.logins(),
      inFlight: this.current,
      peakConcurrentRequests: this.peak,
      activeSessions: this.activeSessions,
      peakActiveSessions: this.peakActive,
    };
  }

  /** Zeroes counters and the peaks, which restart from what is live now (sessions are state, not counters, and stay). */
  reset(): void {
    this.callCounts.clear();
    this.flavourCounts.clear();
    this.received.clear();
    this.sent.clear();
    this.peak = this.current;
    this.peakActive = this.activeSessions;
  }

  // ---- used by the server ------------------------------------------------------------------
  countCall(op: OperationName): void {
    this.callCounts.set(op, this.calls(op) + 1);
  }
  countFlavour(flavour: Flavour): void {
    this.flavourCounts.set(flavour, this.callsOver(flavour) + 1);
  }
  addReceived(sessionId: string, n: number): void {
    this.received.set(sessionId, this.bytesReceived(sessionId) + n);
  }
  addSent(sessionId: string, n: number): void {
    this.sent.set(sessionId, this.bytesSent(sessionId) + n);
  }
  requestStarted(): void {
    this.current++;
    if (this.current > this.peak) this.peak = this.current;
  }
  /** After an update or download session was created (ACTIVE): the only way the ACTIVE count rises. */
  sessionCreated(): void {
    this.peakActive = Math.max(this.peakActive, this.activeSessions);
  }
  requestEnded(): void {
    this.current--;
  }
}
