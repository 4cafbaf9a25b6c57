/**
 * The loop behind the warnings of a command that waits on a saga (worker-watch.ts,
 * vcenter-watch.ts): a check every few seconds, one at a time, until stopped. A check that
 * throws (the server restarting) is tried again at the next turn; the command's own wait
 * reports a server that stays away. Its timers never hold the process open.
 */
export const CHECK_EVERY_MS = 2_500;

export function everyFewSeconds(check: () => Promise<void>): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    if (stopped) return;
    check()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, CHECK_EVERY_MS).unref();
      });
  };
  timer = setTimeout(loop, CHECK_EVERY_MS).unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
