import { lineHash } from '../chunks/chunk-log.js';
import type { ReadChunkLog } from '../chunks/chunk-log-types.js';
import type { ChunkItem } from '../chunks/chunk-store.js';
import { displayS3Uri } from '../s3-uri.js';
import { type AuditFinding, chunkSubject, recordPlace } from './audit-finding.js';

/** What one committed chunk adds to its run's verification. */
export interface CommittedLogCheck {
  findings: AuditFinding[];
  /** Each line's hash recomputed from its record: the run's digest is over these. */
  hashes: string[];
  /** Records of the bucket counted (all records without `countBucket`). */
  records: number;
  /** Distinct objects among those records. */
  objects: number;
}

/**
 * Whether a chunk item's log key names its committed attempt's log: the run-relative path
 * (`runs/<runId>/chunks/<chunkId>/<attempt>.jsonl.gz`) under the audit prefix of today or of the day
 * it was written (a deployment may have moved S3SEAL_AUDIT_PREFIX since).
 */
export function namesAttemptLog(logKey: string, expectedKey: string, runPath: string): boolean {
  return logKey === expectedKey || logKey === runPath || logKey.endsWith(`/${runPath}`);
}

/**
 * Checks a DONE chunk item against its log (docs/audit.md, "What verify reports"): the item names
 * its attempt's log and that log's SHA-256; the log is there, its bytes hash as committed, each
 * line's hash matches its record, and it holds exactly positions 0 to records-1 of this chunk.
 * A record is named by its object and position, so a damaged record is found at any scope.
 */
export function checkCommittedLog(
  item: ChunkItem,
  expected: { key: string; runPath: string },
  log: ReadChunkLog | undefined,
  countBucket?: string,
): CommittedLogCheck {
  const expectedKey = expected.key;
  const { runId, chunkId } = item;
  const subject = chunkSubject(runId, chunkId);
  const findings: AuditFinding[] = [];
  const key = item.logKey ?? expectedKey;
  if (!item.logKey)
    findings.push({ subject, record: 'item', problem: 'changed: committed without a log key' });
  else if (!namesAttemptLog(item.logKey, expectedKey, expected.runPath))
    findings.push({
      subject,
      record: 'item',
      problem: `changed: it names log ${item.logKey}, not ${expectedKey} of its committed attempt ${item.attempt}`,
    });
  if (!log) {
    findings.push({
      subject,
      record: `log ${key}`,
      problem: 'removed: the chunk is committed but its log is gone',
    });
    return { findings, hashes: [], records: 0, objects: 0 };
  }
  if (!item.logSha256)
    findings.push({ subject, record: 'item', problem: "changed: committed without its log's SHA-256" });
  else if (log.sha256 !== item.logSha256)
    findings.push({
      subject,
      record: `log ${key}`,
      problem: 'changed: its bytes no longer hash to the SHA-256 the chunk committed',
    });
  for (const problem of log.problems)
    findings.push({ subject, record: `log ${key}`, problem: `unreadable: ${problem}` });

  const committed = item.records ?? 0;
  const taken = new Map<number, number>();
  for (const { record } of log.lines) taken.set(record.position, (taken.get(record.position) ?? 0) + 1);
  const hashes: string[] = [];
  const objects = new Set<string>();
  let records = 0;
  for (const line of log.lines) {
    const { record } = line;
    const at = { subject: displayS3Uri(record), record: recordPlace(runId, chunkId, record.position) };
    const hash = lineHash(record);
    hashes.push(hash);
    // A run over every bucket holds other buckets' records: a bucket's verification counts its own.
    if (countBucket === undefined || record.bucket === countBucket) {
      records += 1;
      objects.add(`${record.bucket}/${record.key}`);
    }
    if (hash !== line.hash)
      findings.push({ ...at, problem: 'changed: its line hash does not match its record' });
    if (record.runId !== runId || record.chunkId !== chunkId)
      findings.push({
        ...at,
        problem: `inserted: the record names run ${record.runId} chunk ${record.chunkId}`,
      });
    const times = taken.get(record.position)!;
    if (times > 1)
      findings.push({ ...at, problem: `inserted: position ${record.position} is taken ${times} times` });
    if (!Number.isInteger(record.position) || record.position < 0 || record.position >= committed)
      findings.push({ ...at, problem: `inserted: beyond the ${committed} record(s) the chunk committed` });
  }
  for (let position = 0; position < committed; position++) {
    if (!taken.has(position))
      findings.push({
        subject,
        record: `position ${position}`,
        problem: `removed: missing from the log (the chunk committed ${committed} record(s), the log holds ${log.lines.length})`,
      });
  }
  return { findings, hashes, records, objects: objects.size };
}
