import { createHash } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { EnvelopeFormat } from '../envelope/format.js';
import type { ProtectionMode } from '../policy.js';

/** What `setup --watch` stores: how new objects under a bucket prefix must be protected. */
export interface WatchPolicy {
  bucket: string;
  prefix: string;
  suffix: string;
  mode: ProtectionMode;
  keyArn?: string;
  /** Envelope mode: the S3EC format new objects are written in (absent: the default, V3). */
  format?: EnvelopeFormat;
  /** The Id of our entry in the bucket's notification configuration. */
  notificationId: string;
  createdAt: string;
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

/** Watch policies in the ledger table, one partition per bucket. */
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
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: pk(policy.bucket), sk: policy.notificationId, ...policy },
      }),
    );
    this.cache.delete(policy.bucket);
  }

  async delete(bucket: string, notificationId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: pk(bucket), sk: notificationId } }),
    );
    this.cache.delete(bucket);
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
    const policies = (out.Items ?? []).map(({ pk: _pk, sk: _sk, ...p }) => p as WatchPolicy);
    this.cache.set(bucket, { at: Date.now(), policies });
    return policies;
  }
}
