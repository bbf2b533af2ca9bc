import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type KeyShardSummary, KeySummaries, objectsUpTo, sumOfKey } from '../ledger/key-summaries.js';

export interface KeyUsage {
  keyArn: string;
  /** Objects wrapped under the key (an upper bound: see KeyShardSummary). */
  objects: number;
  /** Month (UTC, `YYYY-MM`) of the oldest and newest wrap still counted. */
  oldestWrap: string;
  newestWrap: string;
  /** The key's summary items, for the planner. */
  shards: KeyShardSummary[];
}

/**
 * Wrapping keys in use, from the per-key summaries (docs/architecture.md, "Wrapping-key index"):
 * one small query per shard, however many objects the index holds. A key's months are summed over
 * all its items before any is judged empty: one item alone may be negative.
 */
export async function wrappingKeysInUse(
  dynamo: DynamoDBDocumentClient,
  ledgerTable: string,
): Promise<KeyUsage[]> {
  const byKey = new Map<string, KeyShardSummary[]>();
  for (const summary of await new KeySummaries(dynamo, ledgerTable).all()) {
    byKey.set(summary.keyArn, [...(byKey.get(summary.keyArn) ?? []), summary]);
  }
  const usage: KeyUsage[] = [];
  for (const [keyArn, shards] of byKey) {
    const sums = sumOfKey(shards);
    const months = Object.entries(sums.months)
      .filter(([, n]) => n > 0)
      .map(([month]) => month)
      .sort();
    if (months.length === 0) continue;
    usage.push({
      keyArn,
      objects: objectsUpTo(sums),
      oldestWrap: months[0]!,
      newestWrap: months.at(-1)!,
      shards: shards.sort((a, b) => a.shard - b.shard),
    });
  }
  return usage.sort((a, b) => b.objects - a.objects);
}
