import type { RunCloser } from '../shared/audit/run-digest.js';
import type { JobResult } from '../shared/jobs/encrypt-object.js';
import { counterReason, type Outcome, type RunStore, tally } from '../shared/runs/run-store.js';

/**
 * Adds a batch's job outcomes to their runs' counters: one counter write per run per batch.
 * Duplicates (work another delivery owns or already counted) are not counted again.
 */
export async function countOutcomes(
  runs: RunStore,
  results: Array<{ runId: string; result: JobResult }>,
  closer?: RunCloser,
) {
  const byRun = new Map<string, Array<{ outcome: Outcome; reason?: string }>>();
  for (const { runId, result } of results) {
    if (result.outcome === 'duplicate') continue;
    const list = byRun.get(runId) ?? [];
    list.push({
      outcome: result.outcome,
      reason: result.reason && counterReason(result.reason),
    });
    byRun.set(runId, list);
  }
  await Promise.all(
    [...byRun].map(async ([runId, outcomes]) => {
      const run = await runs.addOutcomes(runId, tally(outcomes));
      // The batch that settles a run's last object closes it with its audit digest.
      await closer?.closeIfComplete(run);
    }),
  );
}
