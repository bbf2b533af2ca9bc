import { setTimeout as sleep } from 'node:timers/promises';

/** How often a waiting poller checks its condition: a check costs no request. */
const CHECK_MS = 25;

/**
 * Resolves once `condition` returns false, or within a check of `signal` aborting: how a poller
 * waits before a receive (shared/worker/queue-poller.ts, `gate`), in the process, where a stop ends
 * it. The signal is read at each check, not listened to: a worker's many pollers share one signal.
 */
export async function waitWhile(condition: () => boolean, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && condition()) await sleep(CHECK_MS);
}
