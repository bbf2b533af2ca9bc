import { BATCH_GET_KEYS } from './batch-get-chunks.js';
import type { ChunkItem, ChunkRef } from './chunk-store.js';

/** What {@link runChunkItems} reads: the run's chunk log listing, and chunk items by key. */
export interface RunChunkItemsDeps {
  /** The run's chunk log objects in key order (chunk-log.ts listChunkLogs): chunk id, then attempt. */
  listLogs(runId: string): AsyncIterable<{ chunkId: string; problem?: string }>;
  /** Chunk items by key, strongly consistent (ChunkStore.getMany: one BatchGetItem per 100). */
  getMany(refs: ChunkRef[]): Promise<ChunkItem[]>;
}

/**
 * The chunk items of a closing run, read once at close (docs/architecture.md, "Manifests"): the
 * chunk ids its chunk logs name (one LIST per 1,000 log objects), then their items with one
 * BatchGetItem per 100 chunks, instead of a Query per chunk shard (eight, however small the run).
 * Every committed chunk wrote its log before its commit (shared/chunks/run-chunk.ts
 * commitRecords), so every committed chunk is named, however many attempts it took; a chunk
 * whose attempts all died before their logs has no records and no item worth reading here.
 * Objects that are no chunk log (`problem`) name no chunk. Items come in batch order; each once.
 * The closer's one iteration point over the run's chunks: compaction reads the logs they commit to.
 */
export async function* runChunkItems(deps: RunChunkItemsDeps, runId: string): AsyncGenerator<ChunkItem> {
  let batch: ChunkRef[] = [];
  let last: string | undefined;
  for await (const log of deps.listLogs(runId)) {
    // Attempts of one chunk list together (their keys share the chunk id): one ref per chunk.
    if (log.problem || log.chunkId === last) continue;
    last = log.chunkId;
    batch.push({ runId, chunkId: log.chunkId });
    if (batch.length < BATCH_GET_KEYS) continue;
    yield* await deps.getMany(batch);
    batch = [];
  }
  if (batch.length > 0) yield* await deps.getMany(batch);
}
