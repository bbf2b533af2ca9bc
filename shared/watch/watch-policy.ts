import { createHash } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  paginateQuery,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { transactionCancellation } from '../aws-errors.js';
import type { EnvelopeFormat } from '../envelope/format.js';
import type { OtherKmsKeys, ProtectionMode } from '../policy.js';

/** What `setup --watch` stores: how new objects under a bucket prefix must be protected. */
export interface WatchPolicy {
  bucket: string;
  prefix: string;
  suffix: string;
  mode: ProtectionMode;
  keyArn?: string;
  /** Envelope mode: the S3EC format new objects are written in (absent: the default, V3). */
  format?: EnvelopeFormat;
  /** sse-kms: `leave` keeps uploads under another KMS key where they are (absent: re-keyed). */
  otherKmsKeys?: OtherKmsKeys;
  /** The Id of our entry in the bucket's notification configuration. */
  notificationId: string;
  createdAt: string;
  /** Set when a re-wrap moved the watch to `keyArn`: the key it named before, the run, the time. */
  movedFrom?: string;
  movedBy?: string;
  movedAt?: string;
}

/** Our notification Id for a bucket filter: stable, so `--watch` again replaces rather than adds. */
export function notificationIdFor(prefix: string, suffix: string): string {
  return `s3-seal-${createHash('sha256').update(`${prefix}\0${suffix}`).digest('hex').slice(0, 12)}`;
}

/** The watch policy that governs `key`: the longest matching prefix wins. */
export function matchPolicy(policies: WatchPolicy[], key: string): WatchPolicy | undefined {
  return policies
    .filter((p) => key.startsWith(p.prefix) && key.endsWith(p.suffix))
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
}

const pk = (bucket: string) => `watch#${bucket}`;
/**
 * Every watch also has an entry in one directory partition, so a re-wrap of every bucket (an alias
 * that moved) finds the watches naming its source key with one small Query, not a table scan.
 * Watches stored before the directory exist join it when `setup --watch` or a move stores them.
 */
const DIRECTORY_PK = 'watches';
const directoryKey = (policy: Pick<WatchPolicy, 'bucket' | 'notificationId'>) => ({
  pk: DIRECTORY_PK,
  sk: `${policy.bucket}/${policy.notificationId}`,
});
const policyOf = ({ pk: _pk, sk: _sk, ...policy }: Record<string, unknown>) =>
  policy as unknown as WatchPolicy;

/** Watch policies in the ledger table, one partition per bucket (and one directory entry each). */
export class WatchPolicyStore {
  private readonly cache = new Map<string, { at: number; policies: WatchPolicy[] }>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Handlers cache a bucket's policies this long: one read per bucket per minute, not per event. */
    private readonly cacheMs = 60_000,
  ) {}

  async put(policy: WatchPolicy): Promise<void> {
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { pk: pk(policy.bucket), sk: policy.notificationId, ...policy },
            },
          },
          { Put: { TableName: this.tableName, Item: { ...directoryKey(policy), ...policy } } },
        ],
      }),
    );
    this.cache.delete(policy.bucket);
  }

  async delete(bucket: string, notificationId: string): Promise<void> {
    const keys = [{ pk: pk(bucket), sk: notificationId }, directoryKey({ bucket, notificationId })];
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: keys.map((Key) => ({ Delete: { TableName: this.tableName, Key } })),
      }),
    );
    this.cache.delete(bucket);
  }

  /** Every watch in the directory (all buckets). */
  async all(): Promise<WatchPolicy[]> {
    const policies: WatchPolicy[] = [];
    for await (const page of paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': DIRECTORY_PK },
        ConsistentRead: true,
      },
    )) {
      policies.push(...(page.Items ?? []).map(policyOf));
    }
    return policies;
  }

  /**
   * Points a watch at another key, only if it still names `fromKeyArn` (a concurrent `setup --watch`
   * wins); returns whether it moved. Handlers see the move within their cache time (a minute).
   */
  async moveKey(
    policy: WatchPolicy,
    fromKeyArn: string,
    toKeyArn: string,
    moved: { runId: string; at: string },
  ): Promise<boolean> {
    const next: WatchPolicy = {
      ...policy,
      keyArn: toKeyArn,
      movedFrom: fromKeyArn,
      movedBy: moved.runId,
      movedAt: moved.at,
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { pk: pk(policy.bucket), sk: policy.notificationId, ...next },
                ConditionExpression: 'keyArn = :from',
                ExpressionAttributeValues: { ':from': fromKeyArn },
              },
            },
            { Put: { TableName: this.tableName, Item: { ...directoryKey(policy), ...next } } },
          ],
        }),
      );
    } catch (error) {
      const reasons = transactionCancellation(error);
      if (reasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    } finally {
      this.cache.delete(policy.bucket);
    }
    return true;
  }

  async forBucket(bucket: string): Promise<WatchPolicy[]> {
    const cached = this.cache.get(bucket);
    if (cached && Date.now() - cached.at < this.cacheMs) return cached.policies;
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk(bucket) },
        ConsistentRead: true,
      }),
    );
    const policies = (out.Items ?? []).map(policyOf);
    this.cache.set(bucket, { at: Date.now(), policies });
    return policies;
  }
}
