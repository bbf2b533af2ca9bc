import { InjectedCrashError } from '../shared/errors.js';
import type { Faults } from '../shared/faults.js';
import type { RunSettler } from '../shared/runs/driven-runs.js';
import type { CommitFeed } from '../shared/transparency/commit-feed.js';

/**
 * After a batch: hands the batch's committed chunks on to the transparency log (on Lambda, sent
 * before the batch is acknowledged: if that fails, the batch comes back), then checks whether the
 * runs of all its records (duplicates included) are complete, and closes those that are (docs/architecture.md, "Counting and closing runs"). Outcomes are
 * already counted, by each record's audit append; if this check fails, it throws, so the whole
 * batch is retried (as duplicates, which change nothing) and the check made again.
 */
export async function settleBatchRuns(
  closer: RunSettler | undefined,
  runIds: Iterable<string>,
  faults?: Faults,
  sequencing?: CommitFeed,
): Promise<void> {
  await sequencing?.afterBatch();
  if (faults?.roll('batchretry')) throw new InjectedCrashError('after-batch');
  await closer?.settle(runIds);
}
