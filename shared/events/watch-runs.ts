import type { EncryptJob } from '../jobs/messages.js';
import type { RunStore } from '../runs/run-store.js';

/**
 * Records the watch run a live-enforcement job counts in (one per bucket and UTC day, see
 * {@link watchRunId}) the first time this process meets it: an ordinary run record, listed by
 * `status --list`, that `status`, `report` and `audit` read like any other (docs/architecture.md,
 * "Live enforcement runs"). The write is conditional, so whichever handler comes first records it
 * and the rest change nothing; each process writes it once a day per bucket, not once per event.
 */
export class WatchRuns {
  private readonly recorded = new Set<string>();

  constructor(private readonly runs: Pick<RunStore, 'createOnce'>) {}

  async record(job: EncryptJob, now: Date): Promise<void> {
    if (this.recorded.has(job.runId)) return;
    await this.runs.createOnce({
      runId: job.runId,
      bucket: job.bucket,
      prefix: '',
      mode: job.mode,
      ...(job.keyArn ? { keyArn: job.keyArn } : {}),
      ...(job.format ? { format: job.format } : {}),
      startedAt: now.toISOString(),
      trigger: 'live enforcement (setup --watch)',
      watch: true,
    });
    this.recorded.add(job.runId);
  }
}
