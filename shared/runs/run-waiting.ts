import { describeOwner } from '../worker/process-identity.js';
import type { QueueCounts } from '../worker/queue-counts.js';
import type { RunHolder } from './run-holders.js';
import type { RunStatus } from './run-status.js';
import type { Run } from './run-store.js';

export interface RunWaiting {
  /** Nothing queued or in flight, yet the run is not done: no one will finish it unless told to. */
  stalled: boolean;
  queued: number;
  inFlight: number;
  /** Local processes holding claims of this run, as they last reported them. */
  holders: Array<RunHolder & { gone: boolean }>;
  /** What the run waits for, in words (one line each). */
  lines: string[];
}

/**
 * What an unfinished run waits for (pure, so `status` and its tests agree): jobs queued or in flight
 * in the pipeline's queues, claims held by local processes (and whether those are gone), or
 * nothing at all, which means it is stalled and needs `s3-seal resume`.
 */
export function runWaiting(
  run: Run,
  status: RunStatus,
  queues: QueueCounts,
  holders: RunHolder[],
  ownerGone: (owner: string) => boolean,
): RunWaiting | undefined {
  if (status.state === 'done') return undefined;
  const held = holders.filter((h) => h.claims > 0).map((h) => ({ ...h, gone: ownerGone(h.owner) }));
  const stalled = queues.queued + queues.inFlight === 0;
  const lines = held.map(
    (h) =>
      `${h.claims} claim(s) held by ${describeOwner(h.owner)} ` +
      (h.gone
        ? `(process gone: \`s3-seal resume ${run.runId}\` takes them over)`
        : `(lease until ${h.leaseUntil ? new Date(h.leaseUntil).toISOString() : 'unknown'}, reported ${h.at})`),
  );
  const unaccounted = `${status.remaining}${run.scanComplete ? '' : '+'}`;
  if (stalled) {
    lines.unshift(
      `stalled: no jobs queued or in flight and ${unaccounted} object(s) unaccounted: run \`s3-seal resume ${run.runId}\`` +
        " (it serves the run's queues here and takes over the claims of a process that is gone); jobs that went to a dead-letter queue: `s3-seal dlq list`, `s3-seal dlq redrive`",
    );
  } else {
    const hint = held.some((h) => h.gone)
      ? `; \`s3-seal resume ${run.runId}\` takes over the work of the process that is gone`
      : queues.inFlight === 0
        ? `; nothing is receiving them now: \`s3-seal resume ${run.runId}\` processes them here`
        : '';
    lines.unshift(
      `waiting: ${queues.queued} job(s) queued, ${queues.inFlight} in flight (all runs) for ${unaccounted} object(s)${hint}`,
    );
  }
  return { stalled, queued: queues.queued, inFlight: queues.inFlight, holders: held, lines };
}
