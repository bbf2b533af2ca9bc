import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { KeySummaries } from './key-summaries.js';
import { summaryShardFor } from './summary-shards.js';
import { objectOfPartitionKey, wrapKeyOf, wrapShardOf } from './wrap-key.js';

export interface WrapKeyBackfill {
  /** Items given their wrapKey (and counted in their key's summary). */
  indexed: number;
  /** Items another writer indexed or changed meanwhile: left to that writer. */
  raced: number;
}

/**
 * One-time migration to the sharded index (docs/large-buckets.md, "Upgrading to the sharded
 * index"): gives every `encrypt` item written before it its wrapKey and counts it in its key's
 * summary. Items written since carry both already; running it again finds nothing to do. Each
 * item is updated only if it still has the keyArn and wrappedAt the scan read and no wrapKey, so
 * a wrap recorded meanwhile is never overwritten with a stale key.
 */
export async function backfillWrapKeys(
  dynamo: DynamoDBDocumentClient,
  ledgerTable: string,
  /** `keyArn`: only that key's items; `segment`/`totalSegments`: one part of a parallel scan. */
  options: { keyArn?: string; segment?: number; totalSegments?: number } = {},
  /** The summary item a key's counts go to (this process's pick, not the object's shard). */
  summaryShard: (keyArn: string) => number = summaryShardFor,
): Promise<WrapKeyBackfill> {
  const summaries = new KeySummaries(dynamo, ledgerTable);
  const result: WrapKeyBackfill = { indexed: 0, raced: 0 };
  const segments =
    options.totalSegments && options.totalSegments > 1
      ? { Segment: options.segment ?? 0, TotalSegments: options.totalSegments }
      : {};
  for await (const page of paginateScan(
    { client: dynamo },
    {
      TableName: ledgerTable,
      ...segments,
      FilterExpression: `sk = :encrypt AND attribute_exists(keyArn) AND attribute_exists(wrappedAt) AND attribute_not_exists(wrapKey)${options.keyArn ? ' AND keyArn = :only' : ''}`,
      ExpressionAttributeValues: {
        ':encrypt': 'encrypt',
        ...(options.keyArn ? { ':only': options.keyArn } : {}),
      },
      ProjectionExpression: 'pk, sk, keyArn, wrappedAt',
    },
  )) {
    for (const item of page.Items ?? []) {
      const object = objectOfPartitionKey(String(item.pk));
      if (!object) continue;
      const shard = wrapShardOf(object.bucket, object.key);
      const { keyArn, wrappedAt } = item as { keyArn: string; wrappedAt: string };
      // Counted first, as every wrap is (see WrapIndexWriter): a crash over-counts, never hides.
      await summaries.add(keyArn, summaryShard(keyArn), wrappedAt, 1);
      try {
        await dynamo.send(
          new UpdateCommand({
            TableName: ledgerTable,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET wrapKey = :wrapKey',
            ConditionExpression:
              'attribute_not_exists(wrapKey) AND keyArn = :keyArn AND wrappedAt = :wrappedAt',
            ExpressionAttributeValues: {
              ':wrapKey': wrapKeyOf(keyArn, shard),
              ':keyArn': keyArn,
              ':wrappedAt': wrappedAt,
            },
          }),
        );
        result.indexed++;
      } catch (error) {
        if (
          !(error instanceof ConditionalCheckFailedException) &&
          (error as { name?: string }).name !== 'ConditionalCheckFailedException'
        )
          throw error;
        await summaries.add(keyArn, summaryShard(keyArn), wrappedAt, -1);
        result.raced++;
      }
    }
  }
  return result;
}
