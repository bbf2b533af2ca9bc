import type { RunMessageFields } from '../jobs/messages.js';
import type { RunStore } from '../runs/run-store.js';

/** What a watch run record takes from the first chunk of it this process meets. */
export type WatchRunFields = Pick<RunMessageFields, 'runId' | 'bucket' | 'mode' | 'keyArn' | 'format'>;

/**
 * Records the watch run a live-enforcement chunk counts in (one per bucket and UTC day, see
 * watchRunId) the first time this process meets it: an ordinary run record, listed by
 * `status --list`, that `status`, `report` and `audit` read like any other (docs/architecture.md,
 * "Live enforcement runs"). The write is conditional, so whichever handler comes first records it
 * and the rest change nothing; each process writes it once a day per bucket, not once per event.
 */
export class WatchRuns {
  private readonly recorded = new Set<string>();

  constructor(private readonly runs: Pick<RunStore, 'createOnce'>) {}

  async record(run: WatchRunFields, now: Date): Promise<void> {
    if (this.recorded.has(run.runId)) return;
    await this.runs.createOnce({
      runId: run.runId,
      bucket: run.bucket,
      prefix: '',
      mode: run.mode,
      ...(run.keyArn ? { keyArn: run.keyArn } : {}),
      ...(run.format ? { format: run.format } : {}),
      startedAt: now.toISOString(),
      trigger: 'live enforcement (setup --watch)',
      watch: true,
    });
    this.recorded.add(run.runId);
  }
}
