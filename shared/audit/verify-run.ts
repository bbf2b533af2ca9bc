import { chunkLogKey } from '../chunks/chunk-log.js';
import type { ChunkItem } from '../chunks/chunk-store.js';
import type { RunStore } from '../runs/run-store.js';
import { type AuditFinding, chunkSubject } from './audit-finding.js';
import { type CommittedLogCheck, checkCommittedLog } from './check-committed-log.js';
import { type ChunkSource, committedKeyOf, logsWithItems } from './chunk-source.js';
import { classifyUncommittedLog } from './classify-log.js';
import { type EventChunkExpiry, expiredItemOf, expiredNote } from './expired-event-log.js';
import { MULTISET_HASH_ALGORITHM, MultisetAccumulator, multisetDigest } from './multiset-hash.js';

export interface RunVerification {
  /** Records in the run's committed logs. */
  records: number;
  /** Distinct objects per committed log, summed (an object in several chunks counts once per chunk). */
  objects: number;
  /** Committed (DONE) chunks. */
  chunks: number;
  /** Problems: each one fails the verification. */
  findings: AuditFinding[];
  /** Abandoned attempts' logs and expired event chunks: named, not problems. */
  notes: AuditFinding[];
  /** Expired event chunks (no item, a watch run, older than the TTL): checked and counted. */
  expired: number;
  /** Whether the run's closing digest was checked, and how it came out. */
  digest?: 'matches' | 'differs' | 'run not closed';
}

export interface VerifyRunDeps {
  source: ChunkSource;
  runs: Pick<RunStore, 'getWithTally'>;
  /** When an item-less watch-run log is an expired event chunk (default: now and the event chunk TTL). */
  expiry?: EventChunkExpiry;
}

export interface VerifyRunOptions {
  /** A bucket's verification: the whole run is checked, its records of this bucket are counted. */
  countBucket?: string;
  /** After each committed chunk: records and objects checked so far in this run. */
  onProgress?: (progress: { records: number; objects: number }) => void;
  /**
   * `audit verify --all`: each expired event chunk's log goes to the transparency log's pass, which
   * looks for its leaf, instead of being a note.
   */
  onExpiredLog?: (log: { runId: string; key: string }) => void;
}

/**
 * Verifies one run's audit trail (docs/audit.md, "What verify reports"): every committed chunk
 * against its log, every log against the chunk items, then the run's MuHASH recomputed over every
 * committed record's line hash against the digest and count it closed with and its tally shards.
 * One log is read at a time and a run keeps one accumulator: memory stays bounded whatever the
 * run's size. Logs are matched to items by one item read per chunk, never by a map of the run.
 */
export async function verifyRun(
  deps: VerifyRunDeps,
  runId: string,
  options: VerifyRunOptions = {},
): Promise<RunVerification> {
  const { source } = deps;
  const result: RunVerification = {
    records: 0,
    objects: 0,
    chunks: 0,
    findings: [],
    notes: [],
    expired: 0,
  };
  const digest = { accumulator: new MultisetAccumulator(), hashed: 0 };
  const count = (checked: CommittedLogCheck) => {
    result.records += checked.records;
    digest.hashed += checked.hashes.length;
    result.objects += checked.objects;
    result.findings.push(...checked.findings);
    for (const hash of checked.hashes) digest.accumulator.add(hash);
    options.onProgress?.({ records: result.records, objects: result.objects });
  };
  for await (const item of source.listRun(runId)) {
    if (item.state !== 'DONE') continue;
    const log = await source.readLog(committedKeyOf(source, item));
    result.chunks += 1;
    count(checkCommittedLog(item, expectedLog(source, item), log, options.countBucket));
  }
  await nameUncommittedLogs(deps, runId, result, { ...options, count });
  await checkDigest(deps, runId, result, {
    digest: multisetDigest(digest.accumulator.value),
    records: digest.hashed,
  });
  return result;
}

/** Where a committed item's log should be: its attempt's key, today's or under any audit prefix. */
const expectedLog = (source: ChunkSource, item: ChunkItem) => ({
  key: source.logKey(item.runId, item.chunkId, item.attempt),
  runPath: chunkLogKey({ bucket: '', prefix: '' }, item.runId, item.chunkId, item.attempt),
});

/**
 * Every log no DONE item commits to: abandoned attempts as notes, an expired event chunk's log
 * checked and counted as committed (its leaf is the commit record: `--all` checks it), anything
 * else as inserted.
 */
async function nameUncommittedLogs(
  deps: VerifyRunDeps,
  runId: string,
  result: RunVerification,
  options: VerifyRunOptions & { count: (checked: CommittedLogCheck) => void },
) {
  const { source } = deps;
  for await (const { log, item, committed, expired } of logsWithItems(source, runId, deps.expiry)) {
    if (committed) continue;
    if (expired === 'committed') {
      const read = await source.readLog(log.key);
      if (!read) continue; // gone since it was listed: nothing left to vouch for
      const stand = expiredItemOf(runId, log, read);
      options.count(checkCommittedLog(stand, expectedLog(source, stand), read, options.countBucket));
      result.expired += 1;
      if (options.onExpiredLog) options.onExpiredLog({ runId, key: log.key });
      else result.notes.push(expiredNote(runId, log));
      continue;
    }
    if (expired === 'abandoned') {
      result.notes.push({
        subject: chunkSubject(runId, log.chunkId),
        record: `log ${log.key}`,
        problem: `abandoned attempt ${log.attempt}: not counted (its chunk item expired; a later attempt's log stands for the chunk)`,
      });
      continue;
    }
    const named = classifyUncommittedLog(runId, log, item);
    if (named.kind === 'abandoned') {
      result.notes.push(named.finding);
      continue;
    }
    // An inserted log says how many records it claims.
    const held = (await source.readLog(log.key))?.lines.length;
    if (held !== undefined) named.finding.problem += ` (${held} record(s))`;
    result.findings.push(named.finding);
  }
}

/** The recomputed digest and count against the run's close and its tally shards. */
async function checkDigest(
  deps: VerifyRunDeps,
  runId: string,
  result: RunVerification,
  recomputed: { digest: string; records: number },
) {
  const subject = `run ${runId}`;
  const found = await deps.runs.getWithTally(runId);
  if (!found) {
    result.findings.push({ subject, record: 'run', problem: 'not found' });
    return;
  }
  const { run, tally } = found;
  if (!run.auditDigest) {
    result.digest = 'run not closed';
    return;
  }
  if (run.digestAlgorithm !== MULTISET_HASH_ALGORITHM) {
    result.digest = 'differs';
    result.findings.push({ subject, record: 'digest', problem: `unknown algorithm ${run.digestAlgorithm}` });
    return;
  }
  if (recomputed.digest === run.auditDigest && recomputed.records === run.auditRecords) {
    result.digest = 'matches';
  } else {
    result.digest = 'differs';
    result.findings.push({
      subject,
      record: 'digest',
      problem: `its records no longer match the digest it closed with (${recomputed.records} records now, ${run.auditRecords} at close)`,
    });
  }
  if (tally.records !== run.auditRecords || tally.digest !== run.auditDigest)
    result.findings.push({
      subject,
      record: 'tally',
      problem: `its tally shards no longer match the digest and count it closed with (the shards count ${tally.records} record(s), ${run.auditRecords} at close)`,
    });
}
