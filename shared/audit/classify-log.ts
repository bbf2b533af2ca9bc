import type { ListedChunkLog } from '../chunks/chunk-log-types.js';
import type { ChunkItem } from '../chunks/chunk-store.js';
import { type AuditFinding, chunkSubject } from './audit-finding.js';

/** A log that no committed chunk counts: an attempt given up (a note) or one that cannot exist (a finding). */
export interface UncommittedLog {
  kind: 'abandoned' | 'inserted';
  finding: AuditFinding;
}

/**
 * Names a chunk log its chunk item does not commit to (docs/audit.md, "What verify reports").
 * Claims number attempts, and only the attempt holding the chunk commits, so an attempt below the
 * committed one, or any claimed attempt of a chunk not committed yet, was given up or taken over:
 * its log stays, uncounted, and is named as abandoned. A log with no chunk item, a log at or past
 * the committed attempt, or of an attempt no claim ever made, cannot come from s3-seal: inserted.
 */
export function classifyUncommittedLog(
  runId: string,
  log: ListedChunkLog,
  item: ChunkItem | undefined,
): UncommittedLog {
  const named = (kind: UncommittedLog['kind'], problem: string): UncommittedLog => ({
    kind,
    finding: { subject: chunkSubject(runId, log.chunkId), record: `log ${log.key}`, problem },
  });
  if (log.problem)
    return {
      kind: 'inserted',
      finding: { subject: `run ${runId}`, record: `log ${log.key}`, problem: `inserted: ${log.problem}` },
    };
  if (!item) return named('inserted', 'inserted: no chunk item names it');
  if (item.state === 'DONE') {
    if (log.attempt < item.attempt)
      return named(
        'abandoned',
        `abandoned attempt ${log.attempt}: not counted (the chunk committed attempt ${item.attempt})`,
      );
    return named('inserted', `inserted: the chunk committed attempt ${item.attempt}, not this log`);
  }
  if (log.attempt > item.attempt)
    return named(
      'inserted',
      `inserted: attempt ${log.attempt} was never claimed (the chunk is ${item.state} at attempt ${item.attempt})`,
    );
  return named(
    'abandoned',
    `abandoned attempt ${log.attempt}: not counted (the chunk is ${item.state} at attempt ${item.attempt})`,
  );
}
