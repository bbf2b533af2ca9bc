import type { ListedChunkLog, ReadChunkLog } from '../chunks/chunk-log-types.js';
import type { ChunkItem, ChunkRef } from '../chunks/chunk-store.js';
import { type EventChunkExpiry, eventChunkExpiry, isExpiredEventLog } from './expired-event-log.js';

/**
 * What the readers of the audit trail need of chunk items and chunk logs (docs/architecture.md,
 * "Audit trail in S3"), behind one small interface so the verifier, exports and reports run over
 * in-memory logs in tests and over DynamoDB and S3 in the tool (s3-chunk-source.ts).
 */
export interface ChunkSource {
  /** Every chunk item of a run, in no particular order. */
  listRun(runId: string): AsyncIterable<ChunkItem>;
  get(ref: ChunkRef): Promise<ChunkItem | undefined>;
  /** Every chunk log object of a run, committed or not, in key order (chunk id, then attempt). */
  listLogs(runId: string): AsyncIterable<ListedChunkLog>;
  /** A log's bytes hashed and parsed (not judged); undefined when no object has that key. */
  readLog(key: string): Promise<ReadChunkLog | undefined>;
  /** Where attempt `attempt` of a chunk writes its log. */
  logKey(runId: string, chunkId: string, attempt: number): string;
}

/** The log a DONE item commits to: the key it names, or where its attempt writes (when it names none). */
export function committedKeyOf(source: ChunkSource, item: ChunkItem): string {
  return item.logKey ?? source.logKey(item.runId, item.chunkId, item.attempt);
}

/**
 * A listed log with its chunk's item, and whether that item commits to this very log. A log whose
 * chunk has no item may be an expired event chunk's (expired-event-log.ts): its chunk's last
 * attempt stands for the commit (`committed`; a committed chunk is never claimed again, so no later
 * attempt exists), an earlier attempt of it was abandoned (`abandoned`).
 */
export interface LogWithItem {
  log: ListedChunkLog;
  item: ChunkItem | undefined;
  committed: boolean;
  expired?: 'committed' | 'abandoned';
}

/**
 * A run's logs in key order, each with its chunk item. A chunk's attempts list together, so one
 * item read per chunk, and only one chunk's few attempts are held in memory.
 */
export async function* logsWithItems(
  source: ChunkSource,
  runId: string,
  expiry: EventChunkExpiry = eventChunkExpiry(),
): AsyncGenerator<LogWithItem> {
  let chunk: ListedChunkLog[] = [];
  for await (const log of source.listLogs(runId)) {
    if (chunk.length > 0 && (log.problem || chunk[0]!.chunkId !== log.chunkId)) {
      yield* chunkLogs(source, runId, chunk, expiry);
      chunk = [];
    }
    // An object under the run's logs whose name is no chunk log's: no chunk can commit to it.
    if (log.problem) yield { log, item: undefined, committed: false };
    else chunk.push(log);
  }
  if (chunk.length > 0) yield* chunkLogs(source, runId, chunk, expiry);
}

/** One chunk's listed attempts with its item, read once. */
async function* chunkLogs(
  source: ChunkSource,
  runId: string,
  logs: ListedChunkLog[],
  expiry: EventChunkExpiry,
): AsyncGenerator<LogWithItem> {
  const item = await source.get({ runId, chunkId: logs[0]!.chunkId });
  const last = Math.max(...logs.map((log) => log.attempt));
  const lastExpired = logs.some((log) => log.attempt === last && isExpiredEventLog(runId, log, item, expiry));
  for (const log of logs) {
    const committed = item?.state === 'DONE' && committedKeyOf(source, item) === log.key;
    if (!lastExpired || !isExpiredEventLog(runId, log, item, expiry)) yield { log, item, committed };
    else yield { log, item, committed, expired: log.attempt === last ? 'committed' : 'abandoned' };
  }
}

/** Whether a run left anything in the chunk trail (runs before chunks left nothing there). */
export async function hasChunkTrail(source: ChunkSource, runId: string): Promise<boolean> {
  for await (const _item of source.listRun(runId)) return true;
  for await (const _log of source.listLogs(runId)) return true;
  return false;
}
