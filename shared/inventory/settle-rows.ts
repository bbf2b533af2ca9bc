import type { AuditLog, AuditRecord } from '../audit/audit-log.js';
import type { ProtectionMode } from '../policy.js';
import type { RowDecision } from './row-decision.js';

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
  decision: Exclude<RowDecision, { action: 'job' }>;
}

export interface SettleDeps {
  audit: AuditLog;
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
  run: { runId: string; mode: ProtectionMode },
  deps: SettleDeps,
): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const append = (row: SettledRow) => {
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
      reason: `${row.decision.reason} (from the inventory row)`,
      at: now().toISOString(),
    };
    return deps.audit.append(record, {
      countReason: row.decision.action === 'skip' ? row.decision.reason : undefined,
    });
  };
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      await append(row);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SETTLE_CONCURRENCY, rows.length) }, worker));
}
