import { createHash } from 'node:crypto';
import type { ChunkSource } from '../../shared/audit/chunk-source.js';
import {
  MULTISET_HASH_ALGORITHM,
  MultisetAccumulator,
  multisetDigest,
} from '../../shared/audit/multiset-hash.js';
import { canonicalJson } from '../../shared/chunks/canonical-json.js';
import { lineHash } from '../../shared/chunks/chunk-log.js';
import type {
  ChunkLogLine,
  ChunkRecord,
  ListedChunkLog,
  ReadChunkLog,
} from '../../shared/chunks/chunk-log-types.js';
import type { ChunkItem, ChunkRef } from '../../shared/chunks/chunk-store.js';
import type { Run } from '../../shared/runs/run-store.js';
import type { RunTally } from '../../shared/runs/tally-shards.js';

export const RUN = '20261207T000000-aaaaaaaa';
export const chunkIdOf = (n: number) => n.toString(16).padStart(24, '0');

export function recordOf(
  chunkId: string,
  position: number,
  key = `k/${chunkId.slice(-2)}-${position}`,
): ChunkRecord {
  return {
    decision: 'encrypted',
    runId: RUN,
    jobId: `${chunkId}:${position}`,
    actor: 'worker:1',
    bucket: 'b',
    key,
    mode: 'sse-kms',
    at: '2026-12-07T00:00:00.000Z',
    chunkId,
    position,
  };
}

interface StoredLog {
  lines: ChunkLogLine[];
  problems: string[];
  /** S3's LastModified of the log (the listing gives it). */
  writtenAt?: Date;
}

/** When the memory trail's logs are written unless told: the day of its chunk items. */
export const WRITTEN_AT = new Date('2026-12-07T00:00:00.000Z');

const bytesHash = ({ lines, problems }: StoredLog) =>
  createHash('sha256').update(canonicalJson({ lines, problems })).digest('hex');

/**
 * Chunk items and chunk logs in memory, as `ChunkSource` reads them, with the writes a runner
 * makes (commit) and the edits a tamperer makes (replace, delete or add a log, change an item).
 * A log's "bytes" are its canonical JSON, so any change to a stored log changes its SHA-256.
 */
export class MemoryChunkTrail implements ChunkSource {
  readonly items = new Map<string, ChunkItem>();
  readonly logs = new Map<string, StoredLog>();
  readonly reads: string[] = [];

  /** The run its helpers write (RUN unless told: a watch run's id for live enforcement's chunks). */
  constructor(readonly runId = RUN) {}

  logKey(runId: string, chunkId: string, attempt: number): string {
    return `audit/runs/${runId}/chunks/${chunkId}/${String(attempt).padStart(4, '0')}.jsonl.gz`;
  }

  async *listRun(runId: string): AsyncGenerator<ChunkItem> {
    for (const item of this.items.values()) if (item.runId === runId) yield { ...item };
  }

  async get(ref: ChunkRef): Promise<ChunkItem | undefined> {
    const item = this.items.get(ref.chunkId);
    return item?.runId === ref.runId ? { ...item } : undefined;
  }

  async *listLogs(runId: string): AsyncGenerator<ListedChunkLog> {
    const prefix = `audit/runs/${runId}/chunks/`;
    for (const key of [...this.logs.keys()].filter((k) => k.startsWith(prefix)).sort()) {
      const match = /^([0-9a-f]{24})\/(\d{4,})\.jsonl\.gz$/.exec(key.slice(prefix.length));
      const lastModified = this.logs.get(key)!.writtenAt ?? WRITTEN_AT;
      if (match) yield { key, chunkId: match[1]!, attempt: Number(match[2]), lastModified };
      else
        yield {
          key,
          chunkId: '',
          attempt: 0,
          problem: 'not a chunk log name (<chunkId>/<attempt>.jsonl.gz)',
          lastModified,
        };
    }
  }

  async readLog(key: string): Promise<ReadChunkLog | undefined> {
    this.reads.push(key);
    const log = this.logs.get(key);
    return (
      log && { key, sha256: bytesHash(log), lines: structuredClone(log.lines), problems: [...log.problems] }
    );
  }

  /** Writes attempt `attempt`'s log of `records` (a claimed chunk's item, not committed). */
  writeLog(chunkId: string, attempt: number, records: ChunkRecord[], writtenAt?: Date): string {
    const key = this.logKey(this.runId, chunkId, attempt);
    this.logs.set(key, {
      lines: records.map((record) => ({ hash: lineHash(record), record })),
      problems: [],
      ...(writtenAt ? { writtenAt } : {}),
    });
    return key;
  }

  claim(chunkId: string, attempt: number, state: ChunkItem['state'] = 'IN_PROGRESS'): ChunkItem {
    const item: ChunkItem = {
      runId: this.runId,
      chunkId,
      state,
      attempt,
      membership: 'm',
      salts: [],
      firstClaimedAt: '2026-12-07T00:00:00.000Z',
      updatedAt: '2026-12-07T00:00:00.000Z',
    };
    this.items.set(chunkId, item);
    return item;
  }

  /** A chunk committed at `attempt` with `n` records (positions 0..n-1). */
  commit(chunkId: string, n: number, attempt = 1): ChunkItem {
    return this.commitRecords(
      chunkId,
      Array.from({ length: n }, (_, p) => ({ ...recordOf(chunkId, p), runId: this.runId })),
      attempt,
    );
  }

  commitRecords(chunkId: string, records: ChunkRecord[], attempt = 1): ChunkItem {
    const key = this.writeLog(chunkId, attempt, records);
    const logSha256 = bytesHash(this.logs.get(key)!);
    const item = { ...this.claim(chunkId, attempt, 'DONE'), logKey: key, logSha256, records: records.length };
    this.items.set(chunkId, item);
    return item;
  }

  /** A tamperer's edit of a stored log (the item keeps the SHA-256 it committed). */
  edit(key: string, change: (log: StoredLog) => void): void {
    change(this.logs.get(key)!);
  }

  /** What the run closed with: the multiset digest of every committed line's hash. */
  closing(): { digest: string; records: number } {
    const accumulator = new MultisetAccumulator();
    let records = 0;
    for (const item of this.items.values()) {
      if (item.state !== 'DONE') continue;
      for (const line of this.logs.get(item.logKey!)!.lines) {
        accumulator.add(line.hash);
        records++;
      }
    }
    return { digest: multisetDigest(accumulator.value), records };
  }
}

/** A run store holding one run, closed (or not) with `closed`, its tally shards agreeing unless told. */
export function runsOf(
  closed?: { digest: string; records: number },
  tally?: { digest: string; records: number },
) {
  const run = {
    runId: RUN,
    bucket: 'b',
    prefix: '',
    mode: 'sse-kms',
    startedAt: '2026-12-07T00:00:00.000Z',
    discovered: closed?.records ?? 0,
    pagesScanned: 1,
    scanComplete: true,
    ...(closed
      ? { auditDigest: closed.digest, auditRecords: closed.records, digestAlgorithm: MULTISET_HASH_ALGORITHM }
      : {}),
  } as unknown as Run;
  const shards = tally ?? closed ?? { digest: '', records: 0 };
  return {
    async getWithTally(runId: string) {
      if (runId !== RUN) return undefined;
      return { run, tally: { records: shards.records, digest: shards.digest } as RunTally };
    },
  };
}
