import { chunkLogKey } from '../chunks/chunk-log.js';
import type { RunStore } from '../runs/run-store.js';
import type { AuditFinding } from './audit-finding.js';
import { checkCommittedLog } from './check-committed-log.js';
import { type ChunkSource, committedKeyOf, logsWithItems } from './chunk-source.js';
import { classifyUncommittedLog } from './classify-log.js';
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
  /** Abandoned attempts' logs: named, not counted, not problems. */
  notes: AuditFinding[];
  /** Whether the run's closing digest was checked, and how it came out. */
  digest?: 'matches' | 'differs' | 'run not closed';
}

export interface VerifyRunDeps {
  source: ChunkSource;
  runs: Pick<RunStore, 'getWithTally'>;
}

export interface VerifyRunOptions {
  /** A bucket's verification: the whole run is checked, its records of this bucket are counted. */
  countBucket?: string;
  /** After each committed chunk: records and objects checked so far in this run. */
  onProgress?: (progress: { records: number; objects: number }) => void;
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
  const result: RunVerification = { records: 0, objects: 0, chunks: 0, findings: [], notes: [] };
  const accumulator = new MultisetAccumulator();
  let hashed = 0;
  for await (const item of source.listRun(runId)) {
    if (item.state !== 'DONE') continue;
    const log = await source.readLog(committedKeyOf(source, item));
    const expected = {
      key: source.logKey(runId, item.chunkId, item.attempt),
      runPath: chunkLogKey({ bucket: '', prefix: '' }, runId, item.chunkId, item.attempt),
    };
    const checked = checkCommittedLog(item, expected, log, options.countBucket);
    result.chunks += 1;
    result.records += checked.records;
    hashed += checked.hashes.length;
    result.objects += checked.objects;
    result.findings.push(...checked.findings);
    for (const hash of checked.hashes) accumulator.add(hash);
    options.onProgress?.({ records: result.records, objects: result.objects });
  }
  await nameUncommittedLogs(source, runId, result);
  await checkDigest(deps, runId, result, { digest: multisetDigest(accumulator.value), records: hashed });
  return result;
}

/** Every log no DONE item commits to: abandoned attempts as notes, anything else as inserted. */
async function nameUncommittedLogs(source: ChunkSource, runId: string, result: RunVerification) {
  for await (const { log, item, committed } of logsWithItems(source, runId)) {
    if (committed) continue;
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
