import type { ListedChunkLog, ReadChunkLog } from '../chunks/chunk-log-types.js';
import type { ChunkItem } from '../chunks/chunk-store.js';
import { EVENT_CHUNK_TTL_SECONDS, isWatchRunId } from '../events/watch-run-id.js';
import { type AuditFinding, chunkSubject } from './audit-finding.js';

/**
 * When the readers of the trail take an item-less log for an expired event chunk: `now`, and the
 * age a log must reach first (the event chunk TTL; tests shorten it to simulate a day passing).
 */
export interface EventChunkExpiry {
  now: Date;
  ttlSeconds: number;
}

export function eventChunkExpiry(now = new Date(), ttlSeconds = EVENT_CHUNK_TTL_SECONDS): EventChunkExpiry {
  return { now, ttlSeconds };
}

/**
 * Whether a listed log whose chunk has no item is an expired event chunk (docs/audit.md, "Expired
 * event chunks"): a chunk log of a watch run (only live enforcement's one-event chunks carry a TTL)
 * whose S3 LastModified is at least the TTL old. The commit sets the item's `expiresAt` to the
 * commit time plus the TTL, after the log was written, so DynamoDB cannot have deleted the item of
 * a younger log: an item-less young log is an item deleted early, or a log inserted (tampering).
 * LastModified is S3's own and cannot be set by a writer, so a forged log cannot be made to look old.
 */
export function isExpiredEventLog(
  runId: string,
  log: ListedChunkLog,
  item: ChunkItem | undefined,
  expiry: EventChunkExpiry,
): boolean {
  if (item || log.problem || !log.lastModified || !isWatchRunId(runId)) return false;
  return log.lastModified.getTime() <= expiry.now.getTime() - expiry.ttlSeconds * 1000;
}

/**
 * The committed item an expired event chunk's log stands for: its own key, SHA-256 and record
 * count, so its lines are checked as a committed log's are (hashes, positions, run and chunk). What
 * vouches for the bytes is the chunk's leaf in the transparency log, which `audit verify --all` and
 * `audit proof` check; until then this is what the log says of itself.
 */
export function expiredItemOf(runId: string, log: ListedChunkLog, read: ReadChunkLog): ChunkItem {
  const at = log.lastModified?.toISOString() ?? '';
  return {
    runId,
    chunkId: log.chunkId,
    state: 'DONE',
    attempt: log.attempt,
    membership: '',
    salts: [],
    firstClaimedAt: at,
    logKey: log.key,
    logSha256: read.sha256,
    records: read.lines.length,
    updatedAt: at,
  };
}

/** The note `audit verify --run`/`--bucket` print for an expired event chunk: not a problem. */
export function expiredNote(runId: string, log: ListedChunkLog): AuditFinding {
  return {
    subject: chunkSubject(runId, log.chunkId),
    record: `log ${log.key}`,
    problem:
      'expired: its chunk item expired (live enforcement keeps it a day); audit verify --all checks it against the transparency log',
  };
}
