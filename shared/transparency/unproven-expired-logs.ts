import { type AuditFinding, chunkSubject } from '../audit/audit-finding.js';
import type { ChunkSource } from '../audit/chunk-source.js';
import { type ExpiredEventLogs, logFingerprint } from '../audit/expired-event-logs.js';

/**
 * The expired event chunks' logs no leaf of the log names, by name (docs/audit.md, "Expired event
 * chunks"). Only fingerprints were kept, so the runs holding expired logs are listed once more:
 * this runs only when some log has no leaf, a failure path, so the clean path lists each run once.
 * Such a log has no chunk item to commit it and no leaf: it was inserted, or its chunk committed
 * without ever reaching the log before its item expired; either way nothing vouches for it.
 */
export async function unprovenExpiredLogs(
  source: ChunkSource,
  expired: ExpiredEventLogs,
): Promise<AuditFinding[]> {
  const left = expired.unnamed();
  const findings: AuditFinding[] = [];
  for (const runId of expired.runs) {
    if (left.size === 0) break;
    for await (const log of source.listLogs(runId)) {
      const print = logFingerprint(log.key);
      if (log.problem || !left.delete(print)) continue;
      const held = (await source.readLog(log.key))?.lines.length;
      findings.push({
        subject: chunkSubject(runId, log.chunkId),
        record: `log ${log.key}`,
        problem: `inserted: no chunk item names it, and no leaf of the transparency log does${held === undefined ? '' : ` (${held} record(s))`}`,
      });
    }
  }
  return findings;
}
