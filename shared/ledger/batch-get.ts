import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '../errors.js';

/** Keys one BatchGetItem may name (a DynamoDB limit). */
export const BATCH_GET_KEYS = 100;
/** Rounds of UnprocessedKeys asked again before the read is given up as retryable. */
const MAX_ROUNDS = 12;

export type ItemKey = { pk: string; sk: string };

const idOf = (key: ItemKey) => `${key.pk}\n${key.sk}`;

/**
 * Reads items of one table (keys `pk`, `sk`) with strongly consistent BatchGetItem requests: keys
 * named twice are read once, a hundred to a request, and whatever DynamoDB leaves unprocessed under
 * load is asked again with a growing pause. Returns the items found, by `pk\nsk`; an absent key has
 * no item. Gives up with a RetryableError if DynamoDB keeps leaving keys unprocessed.
 */
export async function batchGetItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: ItemKey[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const distinct = [...new Map(keys.map((key) => [idOf(key), { pk: key.pk, sk: key.sk }])).values()];
  for (let start = 0; start < distinct.length; start += BATCH_GET_KEYS) {
    let request: Record<string, unknown>[] = distinct.slice(start, start + BATCH_GET_KEYS);
    for (let round = 0; request.length > 0; round++) {
      if (round >= MAX_ROUNDS)
        throw new RetryableError(`DynamoDB left ${request.length} key(s) of ${tableName} unread`);
      if (round > 0) await sleep(Math.min(1000, 20 * 2 ** round));
      const out: BatchGetCommandOutput = await client.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: request, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[tableName] ?? []) {
        found.set(idOf(item as ItemKey), item);
      }
      request = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return found;
}

/** The item `batchGetItems` found for `key`, if any. */
export function foundItem(found: Map<string, Record<string, unknown>>, key: ItemKey) {
  return found.get(idOf(key));
}
