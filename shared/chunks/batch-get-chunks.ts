import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chunkItemOf } from './chunk-item.js';
import { chunkItemKey } from './chunk-item-key.js';
import type { ChunkItem, ChunkRef } from './chunk-store.js';

/** Keys one BatchGetItem may ask for (DynamoDB API reference, BatchGetItem: "up to 100 items"). */
export const BATCH_GET_KEYS = 100;
/** Rounds of UnprocessedKeys tried again before giving up (DynamoDB returns them under throttling). */
const MAX_ROUNDS = 10;

/**
 * Chunk items by key, strongly consistent, one BatchGetItem per {@link BATCH_GET_KEYS} refs
 * (docs/architecture.md, "Chunk ledger"): a run's chunks at close, read by the ids its chunk logs
 * name instead of a Query per chunk shard. Keys DynamoDB leaves unprocessed are asked again after
 * a jittered pause; a ref with no item is left out of the answer. Order is not kept.
 */
export async function batchGetChunks(
  client: DynamoDBDocumentClient,
  table: string,
  refs: ChunkRef[],
): Promise<ChunkItem[]> {
  const items: ChunkItem[] = [];
  for (let start = 0; start < refs.length; start += BATCH_GET_KEYS) {
    let keys: Array<Record<string, unknown>> = refs.slice(start, start + BATCH_GET_KEYS).map(chunkItemKey);
    for (let round = 1; keys.length > 0; round++) {
      const out = await client.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[table] ?? []) items.push(chunkItemOf(item));
      keys = out.UnprocessedKeys?.[table]?.Keys ?? [];
      if (keys.length === 0) break;
      if (round >= MAX_ROUNDS)
        throw new Error(`${keys.length} chunk items stayed unprocessed by BatchGetItem`);
      await sleep(Math.random() * 50 * 2 ** Math.min(round, 6));
    }
  }
  return items;
}
