import type { AuditRecord } from '../audit/audit-record.js';
import type { CountedRecord } from '../runs/tally-shards.js';

/**
 * The reason the run counts a record under (docs/architecture.md, "Counting and closing runs"): the
 * one its result names (`missing` for an object "deleted during processing", `from key <id>` for a
 * re-wrap whose record names the source ARN), else an encrypted object's first warning, else the
 * record's own reason.
 */
export function countReasonOf(record: AuditRecord, resultReason?: string): string | undefined {
  return (
    resultReason ?? (record.decision === 'encrypted' ? record.warnings?.[0] : undefined) ?? record.reason
  );
}

/** One chunk log line as its run's tally shard counts it. */
export function countedRecordOf(record: AuditRecord, hash: string, resultReason?: string): CountedRecord {
  return {
    hash,
    decision: record.decision,
    at: record.at,
    reason: countReasonOf(record, resultReason),
    method: record.method,
    keyArn: record.keyArn,
    keyArnBefore: record.keyArnBefore,
  };
}

const LEAVES_UNDER_KEY = new Set(['encrypted', 'rewrapped', 'compliant']);

/** The key ARNs a chunk's records leave objects under: manifests at run close are compacted from them. */
export function keyArnsOf(records: AuditRecord[]): string[] {
  const arns = new Set<string>();
  for (const record of records) {
    if (record.keyArn && LEAVES_UNDER_KEY.has(record.decision)) arns.add(record.keyArn);
  }
  return [...arns].sort();
}
