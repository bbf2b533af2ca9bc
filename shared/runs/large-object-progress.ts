import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { RecordedUpload, UploadedObject } from '../chunks/recorded-upload.js';

/** How far one large object of a run has got, as the worker writing it last reported. */
export interface LargeObjectEntry {
  bucket: string;
  key: string;
  uploadId: string;
  partsDone: number;
  bytesDone: number;
  totalBytes: number;
  updatedAt: string;
}

const PREFIX = 'large#';
const REPORT_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Large-object progress per run, beside the run record (docs/large-buckets.md, "The large-object
 * route"): the ledger keeps each upload on its chunk's item, spread over the run's chunk shards, so
 * the worker also reports it here for `status` to read with one query.
 */
export class LargeObjectProgress {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async report(ref: UploadedObject, upload: RecordedUpload): Promise<void> {
    if (!upload.runId) return;
    const entry: LargeObjectEntry = {
      bucket: ref.bucket,
      key: ref.key,
      uploadId: upload.uploadId,
      partsDone: upload.partsDone,
      bytesDone: upload.bytesDone,
      totalBytes: upload.totalBytes,
      updatedAt: upload.updatedAt,
    };
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `run#${upload.runId}`,
          sk: `${PREFIX}${ref.bucket}/${ref.key}`,
          ...entry,
          expiresAt: Math.floor(Date.now() / 1000) + REPORT_TTL_SECONDS,
        },
      }),
    );
  }

  async list(runId: string): Promise<LargeObjectEntry[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `run#${runId}`, ':prefix': PREFIX },
      }),
    );
    return (out.Items ?? []).map((item) => ({
      bucket: String(item.bucket),
      key: String(item.key),
      uploadId: String(item.uploadId),
      partsDone: Number(item.partsDone),
      bytesDone: Number(item.bytesDone),
      totalBytes: Number(item.totalBytes),
      updatedAt: String(item.updatedAt),
    }));
  }
}

const MiB = 1024 * 1024;

/** One line per large object, for `status` and the worker's output. */
export function describeLargeObject(entry: Omit<LargeObjectEntry, 'updatedAt'>): string {
  const percent = entry.totalBytes > 0 ? Math.floor((100 * entry.bytesDone) / entry.totalBytes) : 100;
  return (
    `large object s3://${entry.bucket}/${entry.key}: ${entry.partsDone} parts, ` +
    `${(entry.bytesDone / MiB).toFixed(1)} of ${(entry.totalBytes / MiB).toFixed(1)} MiB (${percent}%), ` +
    `upload ${entry.uploadId.slice(0, 16)}`
  );
}
