import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { monthAttribute, summaryPk, wrapMonth } from './key-summaries.js';
import type { FinishInput, ObjectRef } from './ledger.js';
import { wrapKeyOf, wrapShardOf } from './wrap-key.js';

/** A wrap a finish records on an `encrypt` item: its index key and its key summary's month. */
export interface FinishedWrap {
  /** The summary item it counts in (`<shard>\n<keyArn>`). */
  summary: string;
  keyArn: string;
  shard: number;
  month: string;
  wrapKey: string;
}

/** The wraps of one transaction, by summary item. */
export type SummaryAdds = Map<string, FinishedWrap[]>;

/** The wrap `finish` records, if any: only `encrypt` items say what protects an object. */
export function wrapOf(ref: ObjectRef, finish: FinishInput): FinishedWrap | undefined {
  if (ref.operation !== 'encrypt' || !finish.keyArn || !finish.wrappedAt) return undefined;
  const shard = wrapShardOf(ref.bucket, ref.key);
  return {
    summary: `${shard}\n${finish.keyArn}`,
    keyArn: finish.keyArn,
    shard,
    month: wrapMonth(finish.wrappedAt),
    wrapKey: wrapKeyOf(finish.keyArn, shard),
  };
}

/**
 * One ADD per summary item for all the wraps a transaction records (docs/architecture.md,
 * "Wrapping-key index"): inside the transaction that writes the wraps, the counts are exact.
 */
export function summaryUpdates(tableName: string, adds: SummaryAdds) {
  return [...adds.values()].map((wraps) => {
    const byMonth = new Map<string, number>();
    for (const w of wraps) byMonth.set(w.month, (byMonth.get(w.month) ?? 0) + 1);
    const months = [...byMonth];
    return {
      TableName: tableName,
      Key: { pk: summaryPk(wraps[0]!.shard), sk: wraps[0]!.keyArn },
      UpdateExpression: `ADD ${months.map((_, i) => `#m${i} :m${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(months.map(([m], i) => [`#m${i}`, monthAttribute(m)])),
      ExpressionAttributeValues: Object.fromEntries(months.map(([, n], i) => [`:m${i}`, n])),
    } satisfies UpdateCommandInput;
  });
}
