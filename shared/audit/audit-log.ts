import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { transactionCancellation } from '../aws-errors.js';
import { objectPartitionKey } from '../ledger/ledger-updates.js';
import { processShardPool, type ShardPool } from '../runs/shard-pool.js';
import { DEFAULT_TALLY_SHARDS, type ShardState, shardStateOf, shardUpdate } from '../runs/tally-shards.js';
import type { AppendHints, AuditLog, AuditRecord } from './audit-record.js';
import { type ChainAnchor, type ChainedRecord, chain } from './hash-chain.js';

export type { AppendHints, AuditDecision, AuditLog, AuditRecord } from './audit-record.js';

/** Attempts at one append: relinking a moved anchor, catching up with a shard, or a conflict. */
const MAX_ATTEMPTS = 25;

/**
 * {@link AuditLog} on DynamoDB: one item per (object, run, job) in the audit table (pk per object,
 * sk per run and job, runId for the run index), hash-chained per object. Each append is one
 * transaction that writes the record, moves the object's anchor on the ledger table (item
 * `audit`) from the head it read to the new record's hash, so records cannot be appended, lost or
 * forked without the anchor noticing, and counts the record in one of its run's tally shards
 * (docs/architecture.md, "Counting and closing runs"): the record's Put is conditional on its
 * absence, so the count happens exactly once however often the job is delivered.
 */
export class DynamoDbAuditLog implements AuditLog {
  private readonly shards: ShardPool;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ledgerTable: string,
    options: { shards?: number | ShardPool } = {},
  ) {
    const shards = options.shards ?? DEFAULT_TALLY_SHARDS;
    this.shards = typeof shards === 'number' ? processShardPool(shards) : shards;
  }

  async append(record: AuditRecord, hints: AppendHints = {}): Promise<void> {
    const lease = await this.shards.acquire(record.runId);
    // What the shard is after this append, for the next one in this process (undefined: unsure).
    let learned: ShardState | undefined;
    try {
      learned = await this.appendWith(record, hints, lease.shard, lease.known);
    } finally {
      this.shards.release(lease, learned);
    }
  }

  /** Returns the shard's state as this append left it (or found it, if the record was there). */
  private async appendWith(
    record: AuditRecord,
    hints: AppendHints,
    shard: number,
    shardKnown: ShardState | undefined,
  ): Promise<ShardState | undefined> {
    const reason = countReasonOf(record, hints);
    let shardState = shardKnown;
    // The anchor to link onto, when known without reading it: absent for a likely new chain, or
    // the one a failed attempt's condition check returned.
    let known: { anchor: ChainAnchor | undefined } | undefined = hints.likelyNewChain
      ? { anchor: undefined }
      : undefined;
    for (let attempt = 1; ; attempt++) {
      const anchor = known
        ? known.anchor
        : await readAnchor(this.client, this.ledgerTable, record.bucket, record.key);
      known = undefined;
      const chained = chain(record, anchor);
      const tally = shardUpdate(this.ledgerTable, record.runId, shard, shardState, [{ ...chained, reason }]);
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              ...chainedAppend(this.tableName, this.ledgerTable, chained, anchor),
              { Update: tally.update },
            ],
          }),
        );
        return tally.next;
      } catch (error) {
        const reasons = transactionCancellation(error);
        if (!reasons) throw error;
        // Another writer moved the shard (another process that picked it too, or this process's
        // state was lost): catch up from the shard DynamoDB returned, as for the anchor below.
        const shardMoved = reasons[2]?.Code === 'ConditionalCheckFailed';
        if (shardMoved) shardState = shardStateOf(reasons[2]!.Item && unmarshall(reasons[2]!.Item));
        // The record exists: this (run, job) was audited, and counted, by an earlier delivery.
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return shardState;
        if (attempt >= MAX_ATTEMPTS) throw error;
        // Another decision on this object moved the anchor first (or the chain was not new after
        // all): link after the anchor it returned, or read it if it returned none.
        if (reasons[1]?.Code === 'ConditionalCheckFailed') {
          const current = reasons[1].Item && unmarshall(reasons[1].Item);
          if (current?.head) known = { anchor: { head: String(current.head), seq: Number(current.seq) } };
          continue;
        }
        if (shardMoved) {
          // The anchor was not what failed: link onto the same one again.
          known = { anchor };
          continue;
        }
        // A concurrent transaction held one of the items: try again shortly, jittered.
        if (reasons.some((r) => r.Code === 'TransactionConflict')) {
          known = { anchor };
          await sleep(Math.random() * 20 * Math.min(attempt, 10));
          continue;
        }
        throw error;
      }
    }
  }
}

/**
 * A chained record's two transaction items: its Put (conditional on its absence: one record per
 * run and job) and its object's anchor moved onto it (conditional on the head it links after; on
 * a moved anchor DynamoDB returns the current one, so relinking needs no extra read).
 */
export function chainedAppend(
  auditTable: string,
  ledgerTable: string,
  chained: ChainedRecord,
  anchor: ChainAnchor | undefined,
) {
  return [
    {
      Put: {
        TableName: auditTable,
        Item: { pk: auditPartitionKey(chained.bucket, chained.key), sk: auditSortKey(chained), ...chained },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Update: {
        TableName: ledgerTable,
        Key: anchorKey(chained.bucket, chained.key),
        UpdateExpression: 'SET head = :head, seq = :seq',
        ConditionExpression: anchor ? 'head = :prev' : 'attribute_not_exists(head)',
        ExpressionAttributeValues: {
          ':head': chained.hash,
          ':seq': chained.seq,
          ...(anchor ? { ':prev': anchor.head } : {}),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    },
  ];
}

/** The reason the run counts a record under (see AppendHints.countReason). */
export function countReasonOf(record: AuditRecord, hints: AppendHints = {}): string | undefined {
  return (
    hints.countReason ?? (record.decision === 'encrypted' ? record.warnings?.[0] : undefined) ?? record.reason
  );
}

export const auditPartitionKey = (bucket: string, key: string) => `obj#${bucket}/${key}`;
export const auditSortKey = (record: Pick<AuditRecord, 'runId' | 'jobId'>) =>
  `run#${record.runId}#job#${record.jobId}`;
export const anchorKey = (bucket: string, key: string) => ({
  pk: objectPartitionKey(bucket, key),
  sk: 'audit',
});

/** The head of an object's audit chain, as the ledger anchors it. */
export async function readAnchor(
  client: DynamoDBDocumentClient,
  ledgerTable: string,
  bucket: string,
  key: string,
): Promise<ChainAnchor | undefined> {
  const out = await client.send(
    new GetCommand({ TableName: ledgerTable, Key: anchorKey(bucket, key), ConsistentRead: true }),
  );
  return out.Item?.head ? { head: out.Item.head as string, seq: Number(out.Item.seq) } : undefined;
}
