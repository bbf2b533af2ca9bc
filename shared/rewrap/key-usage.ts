import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type KeyShardSummary, KeySummaries, objectsUpTo } from '../ledger/key-summaries.js';

export interface KeyUsage {
  keyArn: string;
  /** Objects wrapped under the key (an upper bound: see KeyShardSummary). */
  objects: number;
  /** Month (UTC, `YYYY-MM`) of the oldest and newest wrap still counted. */
  oldestWrap: string;
  newestWrap: string;
  /** The key's shard summaries, for the planner. */
  shards: KeyShardSummary[];
}

/**
 * Wrapping keys in use, from the per-key summaries (docs/architecture.md, "Wrapping-key index"):
 * one small query per shard, however many objects the index holds.
 */
export async function wrappingKeysInUse(
  dynamo: DynamoDBDocumentClient,
  ledgerTable: string,
): Promise<KeyUsage[]> {
  const usage = new Map<string, KeyUsage>();
  for (const summary of await new KeySummaries(dynamo, ledgerTable).all()) {
    const months = Object.entries(summary.months)
      .filter(([, n]) => n > 0)
      .map(([month]) => month)
      .sort();
    if (months.length === 0) continue;
    const found = usage.get(summary.keyArn) ?? {
      keyArn: summary.keyArn,
      objects: 0,
      oldestWrap: months[0]!,
      newestWrap: months.at(-1)!,
      shards: [],
    };
    found.objects += objectsUpTo(summary);
    if (months[0]! < found.oldestWrap) found.oldestWrap = months[0]!;
    if (months.at(-1)! > found.newestWrap) found.newestWrap = months.at(-1)!;
    found.shards.push(summary);
    usage.set(summary.keyArn, found);
  }
  return [...usage.values()].sort((a, b) => b.objects - a.objects);
}
