import { settled } from '../runs/run-counts.js';
import type { Run, RunStore } from '../runs/run-store.js';
import type { RunTally } from '../runs/tally-shards.js';
import { MULTISET_HASH_ALGORITHM } from './multiset-hash.js';

/** Every discovered object's outcome is counted, and the scan has discovered them all. */
export function isComplete(run: Run, tally: RunTally): boolean {
  return run.scanComplete && settled(tally.counts) >= run.discovered;
}

export type CloseResult = 'closed' | 'already closed' | 'open' | 'not found';

/**
 * Closes finished runs with the digest of their tally shards (docs/architecture.md, "Counting and
 * closing runs"): one consistent Query of the shards, never the audit records, so a run of any
 * size closes in one small step. Every handler checks the runs of its whole batch, duplicates
 * included, and fails the batch if a check fails, so the batch is retried until the check is
 * made; the first close wins, later ones change nothing.
 */
export class RunCloser {
  /**
   * `afterClose`: what a closed run still needs (its per-key manifests, shared/manifests/), run
   * after the close and again by any closer that finds the run closed, so it must be idempotent.
   * `closedNow`: this very call closed the run (nothing after-close can have begun before it).
   */
  constructor(
    private readonly runs: RunStore,
    private readonly afterClose?: (runId: string, closing: { closedNow: boolean }) => Promise<void>,
  ) {}

  async closeIfComplete(runId: string): Promise<CloseResult> {
    return (await this.close(runId)).result;
  }

  /**
   * Closes the run if it is complete, from `known` when the caller has just read the run and its
   * tally (one consistent Query, which a complete run's tally no longer moves past), else from a
   * fresh read. `run`: the run as it stands after, when this call knows it (not when another closer
   * closed it between the read and this close).
   */
  async close(
    runId: string,
    known?: { run: Run; tally: RunTally },
  ): Promise<{ result: CloseResult; run?: Run }> {
    const found = known ?? (await this.runs.getWithTally(runId));
    if (!found) return { result: 'not found' };
    const { run, tally } = found;
    if (run.auditDigest) {
      await this.afterClose?.(runId, { closedNow: false });
      return { result: 'already closed', run };
    }
    if (!isComplete(run, tally)) return { result: 'open', run };
    const closing = {
      digest: tally.digest,
      records: tally.records,
      algorithm: MULTISET_HASH_ALGORITHM,
      at: new Date().toISOString(),
    };
    const closed = await this.runs.close(runId, closing);
    await this.afterClose?.(runId, { closedNow: closed });
    if (!closed) return { result: 'already closed' };
    const after: Run = {
      ...run,
      auditDigest: closing.digest,
      auditRecords: closing.records,
      digestAlgorithm: closing.algorithm,
      closedAt: closing.at,
    };
    return { result: 'closed', run: after };
  }

  /** Checks each run once (in parallel); throws if any check fails, for the batch to be retried. */
  async settle(runIds: Iterable<string>): Promise<Map<string, CloseResult>> {
    const unique = [...new Set(runIds)];
    const results = await Promise.all(unique.map((runId) => this.closeIfComplete(runId)));
    return new Map(unique.map((runId, i) => [runId, results[i]!]));
  }
}
