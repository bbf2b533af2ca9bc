import { type DynamoDBDocumentClient, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems } from './batch-get.js';
import { allWrapShards } from './wrap-key.js';

/**
 * One summary item of one wrapping key: counts of objects by the month (UTC, `YYYY-MM`) their data
 * key was wrapped. The item's shard is the one the writing process picked for the key, not the
 * objects' index shard, and a decrement may land on another item than its increment did: only the
 * SUM of a month over all the key's items means anything (a single item may even be negative).
 * Sums are upper bounds: a wrap is counted before its ledger write and uncounted only after the
 * write that replaced it, so a crash in between over-counts and never hides an object from the
 * planner (docs/architecture.md, "Wrapping-key index").
 */
export interface KeyShardSummary {
  keyArn: string;
  shard: number;
  months: Record<string, number>;
}

const PREFIX = 'keysum#';
const MONTH_ATTRIBUTE = /^m(\d{4})_(\d{2})$/;
export const summaryPk = (shard: number) => `${PREFIX}${String(shard).padStart(2, '0')}`;

/** The month bucket of an ISO time; months keep a summary item small (one write unit). */
export function wrapMonth(wrappedAt: string): string {
  return new Date(wrappedAt).toISOString().slice(0, 7);
}

export const monthAttribute = (month: string) => `m${month.replace('-', '_')}`;

function fromItem(item: Record<string, unknown>): KeyShardSummary {
  const months: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    const match = MONTH_ATTRIBUTE.exec(name);
    if (match) months[`${match[1]}-${match[2]}`] = Number(value);
  }
  return { keyArn: item.sk as string, shard: Number(String(item.pk).slice(PREFIX.length)), months };
}

/**
 * Per-key summaries on the ledger table: item (`keysum#<shard>`, keyArn). The shard is the one each
 * writing process keeps for the key (summary-shards.ts), not the key alone, so the processes of a
 * run spread a key's summary writes over WRAP_KEY_SHARDS partition keys, and the scheduled planner
 * reads every key in use with WRAP_KEY_SHARDS small queries instead of scanning the index.
 */
export class KeySummaries {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Adds `delta` objects to a key's summary item `shard` in the month of `wrappedAt`. */
  async add(keyArn: string, shard: number, wrappedAt: string, delta: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: summaryPk(shard), sk: keyArn },
        UpdateExpression: 'ADD #month :delta',
        ExpressionAttributeNames: { '#month': monthAttribute(wrapMonth(wrappedAt)) },
        ExpressionAttributeValues: { ':delta': delta },
      }),
    );
  }

  /** Every key's shard summaries: one query per shard. */
  async all(): Promise<KeyShardSummary[]> {
    const shards = await Promise.all(
      allWrapShards().map(async (shard) => {
        const found: KeyShardSummary[] = [];
        for await (const page of paginateQuery(
          { client: this.client },
          {
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': summaryPk(shard) },
          },
        )) {
          for (const item of page.Items ?? []) found.push(fromItem(item));
        }
        return found;
      }),
    );
    return shards.flat();
  }

  /** One key's summary items (shards no process ever counted it on are absent). */
  async forKey(keyArn: string): Promise<KeyShardSummary[]> {
    const keys = allWrapShards().map((shard) => ({ pk: summaryPk(shard), sk: keyArn }));
    const found = [...(await batchGetItems(this.client, this.tableName, keys)).values()].map(fromItem);
    return found.sort((a, b) => a.shard - b.shard);
  }
}

/** A key's counts by month: the sums over all its summary items (the only meaningful figures). */
export function sumOfKey(summaries: Array<Pick<KeyShardSummary, 'months'>>): Pick<KeyShardSummary, 'months'> {
  const months: Record<string, number> = {};
  for (const summary of summaries) {
    for (const [month, n] of Object.entries(summary.months)) months[month] = (months[month] ?? 0) + n;
  }
  return { months };
}

/**
 * Objects counted in months up to and including `lastMonth` (all months without). Give it a key's
 * sums ({@link sumOfKey}): a month whose sum drifted below zero counts as none.
 */
export function objectsUpTo(summary: Pick<KeyShardSummary, 'months'>, lastMonth?: string): number {
  return Object.entries(summary.months).reduce(
    (sum, [month, n]) => (lastMonth === undefined || month <= lastMonth ? sum + Math.max(0, n) : sum),
    0,
  );
}
