import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { WrapMove } from '../lifecycle/job-closer.js';
import { monthAttribute, summaryPk, wrapMonth } from './key-summaries.js';
import type { FinishInput, ObjectRef } from './ledger.js';
import { summaryShardFor } from './summary-shards.js';
import { wrapKeyOf, wrapShardOf } from './wrap-key.js';

/** A wrap a finish records on an `encrypt` item: its index key and its key summary's month. */
export interface FinishedWrap {
  /** What the transaction groups its wraps by: the key (one summary update per key). */
  summary: string;
  keyArn: string;
  /** The object's index shard (its `wrapKey`). */
  shard: number;
  /** The summary item this process counts the key on (not the object's shard). */
  summaryShard: number;
  month: string;
  wrapKey: string;
  /** +1 for a wrap recorded, −1 for the wrap a re-wrap replaces (default +1). */
  delta?: number;
}

/** The wraps of one transaction, by key. */
export type SummaryAdds = Map<string, FinishedWrap[]>;

/** The wrap `finish` records, if any: only `encrypt` items say what protects an object. */
export function wrapOf(
  ref: ObjectRef,
  finish: FinishInput,
  shardFor: (keyArn: string) => number = summaryShardFor,
): FinishedWrap | undefined {
  if (ref.operation !== 'encrypt' || !finish.keyArn || !finish.wrappedAt) return undefined;
  const shard = wrapShardOf(ref.bucket, ref.key);
  return {
    summary: finish.keyArn,
    keyArn: finish.keyArn,
    shard,
    summaryShard: shardFor(finish.keyArn),
    month: wrapMonth(finish.wrappedAt),
    wrapKey: wrapKeyOf(finish.keyArn, shard),
  };
}

/**
 * One update per key for all the wraps a transaction records, one ADD per month, on the summary
 * item this process counts the key on (docs/architecture.md, "Wrapping-key index"): inside the
 * transaction that writes the wraps, the counts are exact. Grouped by key here whatever the map's
 * grouping, since a transaction may name an item only once.
 */
export function summaryUpdates(tableName: string, adds: SummaryAdds) {
  const byKey = new Map<string, FinishedWrap[]>();
  for (const wrap of [...adds.values()].flat())
    byKey.set(wrap.keyArn, [...(byKey.get(wrap.keyArn) ?? []), wrap]);
  return [...byKey.values()].map((wraps) => {
    const byMonth = new Map<string, number>();
    for (const w of wraps) byMonth.set(w.month, (byMonth.get(w.month) ?? 0) + (w.delta ?? 1));
    const months = [...byMonth];
    return {
      TableName: tableName,
      Key: { pk: summaryPk(wraps[0]!.summaryShard), sk: wraps[0]!.keyArn },
      UpdateExpression: `ADD ${months.map((_, i) => `#m${i} :m${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(months.map(([m], i) => [`#m${i}`, monthAttribute(m)])),
      ExpressionAttributeValues: Object.fromEntries(months.map(([, n], i) => [`:m${i}`, n])),
    } satisfies UpdateCommandInput;
  });
}

/**
 * The summary counts a re-wrap moves (docs/architecture.md, "Wrapping-key index"): +1 for the new
 * key in the month of its wrap, −1 for the wrap it replaces when that one was indexed.
 */
export function movedWrapOf(
  ref: ObjectRef,
  move: WrapMove,
  shardFor: (keyArn: string) => number = summaryShardFor,
): { added: FinishedWrap; removed?: FinishedWrap } {
  const encryptRef = { ...ref, operation: 'encrypt' as const };
  const added = wrapOf(
    encryptRef,
    { state: 'DONE', keyArn: move.keyArn, wrappedAt: move.wrappedAt },
    shardFor,
  )!;
  const old = move.replaces;
  const removed = old
    ? {
        ...wrapOf(encryptRef, { state: 'DONE', keyArn: old.keyArn, wrappedAt: old.wrappedAt }, shardFor)!,
        delta: -1,
      }
    : undefined;
  return { added, removed };
}
