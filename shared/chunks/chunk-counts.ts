import type { AuditRecord } from '../audit/audit-record.js';
import type { CountedRecord } from '../runs/tally-shards.js';

/**
 * The reason the run counts a record under (docs/architecture.md, "Counting and closing runs"): an
 * encrypted object's first warning, else its reason. The counter takes the short form the
 * operation's result names where the record says it in words (`missing` for "deleted during
 * processing", `object-changed` for a lost race).
 */
const COUNTED_REASON: Record<string, string> = {
  'deleted during processing': 'missing',
  'object changed during processing': 'object-changed',
};

export function countReasonOf(record: AuditRecord): string | undefined {
  if (record.decision === 'encrypted' && record.warnings?.[0]) return record.warnings[0];
  const reason = record.reason;
  return reason === undefined ? undefined : (COUNTED_REASON[reason] ?? reason);
}

/**
 * One chunk log line as its run's tally shard counts it: under the reason its result names when it
 * has one (a re-wrap counts under `from key <id>`, its record says the source ARN).
 */
export function countedRecordOf(record: AuditRecord, hash: string, countReason?: string): CountedRecord {
  return {
    hash,
    decision: record.decision,
    at: record.at,
    reason: countReason ?? countReasonOf(record),
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
