/** Starts our vcsim wrapper (tools/vcsim) and reads the endpoint line it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { captureTail, stopChild } from './child';

export const VcsimEndpoint = z.object({
  url: z.string(),
  datastore: z.string(),
  thumbprint: z.string().optional(),
  cert_file: z.string().optional(),
  pid: z.number(),
});
export type VcsimEndpoint = z.infer<typeof VcsimEndpoint>;

export interface RunningVcsim extends VcsimEndpoint {
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Options for {@link startVcsim}. */
export interface StartVcsimOptions {
  /** Path of the vcsim binary from ensureTools(). */
  bin: string;
  /** host:port to listen on. @default 127.0.0.1:0 (a free port) */
  listen?: string;
  /** Serve HTTPS with the simulator's self-signed certificate. @default false */
  tls?: boolean;
  /** Give up if the endpoint line has not appeared by then. @default 60000 */
  startTimeoutMs?: number;
}

export async function startVcsim(opts: StartVcsimOptions): Promise<RunningVcsim> {
  const args = ['-listen', opts.listen ?? '127.0.0.1:0', ...(opts.tls ? ['-tls'] : [])];
  const child = spawn(opts.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = captureTail(child);
  const lines = createInterface({ input: child.stdout });
  try {
    const endpoint = await new Promise<VcsimEndpoint>((resolveEndpoint, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`vcsim did not start within ${opts.startTimeoutMs ?? 60_000} ms:\n${tail()}`)),
        opts.startTimeoutMs ?? 60_000,
      );
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`vcsim exited (${code ?? signal}) before it was ready:\n${tail()}`));
      });
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolveEndpoint(VcsimEndpoint.parse(JSON.parse(line)));
        } catch (err) {
          reject(new Error(`vcsim printed an unexpected first line: ${line} (${(err as Error).message})`));
        }
      });
    });
    // Keep draining stdout so the child never blocks on a full pipe.
    lines.on('line', () => undefined);
    return { ...endpoint, process: child, stop: async () => stopChild(child) };
  } catch (err) {
    await stopChild(child, 1000);
    throw err;
  }
}
