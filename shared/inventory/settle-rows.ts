import type { AppendHints, AuditLog, AuditRecord } from '../audit/audit-log.js';
import type { JobCloser } from '../lifecycle/job-closer.js';

/**
 * Audit appends in flight at once while settling rows (each is one DynamoDB transaction). Each
 * append in flight holds one of the run's tally shards in this process (32 by default), so more
 * would only wait for a shard.
 */
export const SETTLE_CONCURRENCY = 32;

/** A current row the inventory decided, with the job id its encrypt job would have had. */
export interface SettledRow {
  bucket: string;
  key: string;
  jobId: string;
  etag?: string;
  versionId?: string;
  /** Settled as compliant, or skipped under the reason the HEAD path counts (`sse-c`, …). */
  decision: { action: 'compliant'; reason: string } | { action: 'skip'; reason: string; detail?: string };
}

export interface SettleDeps {
  audit: AuditLog;
  /**
   * Appends a chunk's records in as few transactions, each counting its records with one
   * tally-shard update (docs/architecture.md, "Batch-first storage"); absent, one append each.
   */
  jobCloser?: Pick<JobCloser, 'closeAll'>;
  /** Who the records name (the scan function, or a local worker). */
  actor: string;
  now?: () => Date;
}

// Inventory ETags come without the quotes S3 puts around them in a HEAD's ETag header; the audit
// trail keeps them as HEAD would show them, so records of both paths compare.
const asHeaderEtag = (etag: string | undefined) =>
  etag === undefined || etag.startsWith('"') ? etag : `"${etag}"`;

/**
 * Settles rows the inventory decided (docs/large-buckets.md, "Rows settled from the inventory"):
 * one audit append each, no S3 request, no ledger item. The append is idempotent per (run, job)
 * and counts the outcome in the run's tally exactly once, so a redelivered chunk appends again
 * harmlessly. The skip counts under the reason the HEAD path uses (`sse-c`); the record's reason
 * says the decision came from the inventory.
 */
export async function settleRows(
  rows: SettledRow[],
  /** The run, and how its audit records name it (its protection mode, or `rewrap`). */
  run: { runId: string; mode: string },
  deps: SettleDeps,
): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const settled = rows.map((row) => {
    const record: AuditRecord = {
      decision: row.decision.action === 'compliant' ? 'compliant' : 'skipped',
      runId: run.runId,
      jobId: row.jobId,
      actor: deps.actor,
      bucket: row.bucket,
      key: row.key,
      mode: run.mode,
      etagBefore: asHeaderEtag(row.etag),
      versionIdBefore: row.versionId,
      reason: `${row.decision.reason}${'detail' in row.decision && row.decision.detail ? `: ${row.decision.detail}` : ''} (from the inventory row)`,
      at: now().toISOString(),
    };
    const hints: AppendHints = {
      countReason: row.decision.action === 'skip' ? row.decision.reason : undefined,
    };
    return { row, record, hints };
  });
  // Together first; a row sent apart (its record is there: a redelivered chunk) appends alone,
  // which is a no-op for a record already there.
  let alone = settled;
  if (deps.jobCloser) {
    const outcomes = await deps.jobCloser.closeAll(
      settled.map(({ row, record, hints }) => ({
        record,
        hints,
        ref: { bucket: row.bucket, key: row.key, operation: 'encrypt' as const },
        now: now(),
      })),
    );
    alone = settled.filter((_, i) => outcomes[i] !== 'closed');
  }
  let next = 0;
  const worker = async () => {
    while (next < alone.length) {
      const { record, hints } = alone[next++]!;
      await deps.audit.append(record, hints);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SETTLE_CONCURRENCY, alone.length) }, worker));
}
