import type { ChunkRef } from './chunk-store.js';

/**
 * A run's chunk items spread over this many partition keys (docs/architecture.md, "Chunk ledger"):
 * a run of millions of objects has tens of thousands of chunks, and one partition key per run would
 * put all their claims and commits on one partition. Eight take about 2,100 chunk commits a second
 * (210,000 objects/s, three write units per chunk, the busiest key taking 1.25/8 at 1,000 units/s),
 * and reading a run's chunks by partition (`listRun`, which verify uses) costs one Query per key:
 * more keys would cost a small run more DynamoDB requests per object than its chunks do. (A run's
 * close reads its chunks by the ids its logs name instead: run-chunk-items.ts.) Fixed for the life of a
 * table: the shard is derived from the chunk id, so changing it would hide existing chunks.
 */
export const CHUNK_SHARDS = 8;

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
