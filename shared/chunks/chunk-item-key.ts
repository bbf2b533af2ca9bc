import type { ChunkRef } from './chunk-store.js';

/**
 * A run's chunk items spread over this many partition keys (docs/architecture.md, "Chunk ledger"):
 * a run of millions of objects has tens of thousands of chunks, and one partition key per run would
 * put all their claims and commits on one partition.
 */
export const CHUNK_SHARDS = 32;

/** The prefix of every chunk item's partition key: `chunks#<runId>#<NN>`. */
export const CHUNK_PREFIX = 'chunks#';

/** The chunk shard a chunk id falls in: its first 32 bits modulo {@link CHUNK_SHARDS}. */
export function chunkShardOf(chunkId: string): number {
  const head = Number.parseInt(chunkId.slice(0, 8), 16);
  if (!Number.isFinite(head)) throw new Error(`chunk id ${JSON.stringify(chunkId)} is not hex`);
  return head % CHUNK_SHARDS;
}

/** The partition key of one chunk shard of a run (listRun queries each). */
export function chunkPartitionKey(runId: string, shard: number): string {
  return `${CHUNK_PREFIX}${runId}#${String(shard).padStart(2, '0')}`;
}

/** The ledger-table key of a chunk item: `pk chunks#<runId>#<NN>`, `sk <chunkId>`. */
export function chunkItemKey(ref: ChunkRef): { pk: string; sk: string } {
  return { pk: chunkPartitionKey(ref.runId, chunkShardOf(ref.chunkId)), sk: ref.chunkId };
}
