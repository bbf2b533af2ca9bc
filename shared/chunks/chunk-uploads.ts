import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './chunk-item.js';
import { chunkItemKey } from './chunk-item-key.js';
import type { ChunkRef } from './chunk-store.js';
import { CHUNK_NAMES, HELD_BY_OWNER } from './chunk-updates.js';
import type { RecordedUpload } from './recorded-upload.js';
import { uploadAttributeOf } from './upload-attribute.js';

/** How an upload ended, told by the attempt that holds its chunk. */
export interface UploadEnd {
  owner: string;
  uploadId: string;
  how: 'completed' | 'aborted';
  leaseSeconds: number;
}

/** Which upload: the chunk holding it and the object written (upload-attribute.ts). */
export type UploadRef = ChunkRef & { key: string };

/**
 * Multipart upload state on chunk items (docs/architecture.md, "Large objects"): one attribute per
 * object of the chunk being written in parts. Every write is conditional on the attempt holding the chunk
 * and renews its lease, so an upload longer than a lease keeps its chunk while it makes progress.
 */
export interface UploadLedger {
  recorded(ref: UploadRef): Promise<RecordedUpload | undefined>;
  /** Records an upload's progress while `upload.owner` holds the chunk. False once it does not. */
  record(ref: UploadRef, upload: RecordedUpload, leaseSeconds: number, now?: Date): Promise<boolean>;
  /**
   * Forgets an upload that completed or was aborted, while `end.owner` holds the chunk and the
   * upload recorded is this one. False otherwise: the attempt holding the chunk now owns what is
   * recorded, and resumes or aborts it.
   */
  close(ref: UploadRef, end: UploadEnd, now?: Date): Promise<boolean>;
}

/** {@link UploadLedger} on the ledger table's chunk items. */
export class DynamoDbUploadLedger implements UploadLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async recorded(ref: UploadRef): Promise<RecordedUpload | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.table,
        Key: chunkItemKey(ref),
        ConsistentRead: true,
        ProjectionExpression: '#upload',
        ExpressionAttributeNames: { '#upload': uploadAttributeOf(ref.key) },
      }),
    );
    return out.Item?.[uploadAttributeOf(ref.key)] as RecordedUpload | undefined;
  }

  record(ref: UploadRef, upload: RecordedUpload, leaseSeconds: number, now = new Date()): Promise<boolean> {
    return this.held(ref, upload.owner, leaseSeconds, now, {
      set: ', #upload = :upload',
      values: { ':upload': upload },
    });
  }

  close(ref: UploadRef, end: UploadEnd, now = new Date()): Promise<boolean> {
    return this.held(ref, end.owner, end.leaseSeconds, now, {
      remove: ' REMOVE #upload',
      // Another attempt's newer upload is not this one's to forget.
      condition: ' AND #upload.#uploadId = :uploadId',
      names: { '#uploadId': 'uploadId' },
      values: { ':uploadId': end.uploadId },
    });
  }

  /** One update of the chunk while `owner` holds it, renewing its lease. */
  private async held(
    ref: UploadRef,
    owner: string,
    leaseSeconds: number,
    now: Date,
    change: { set?: string; remove?: string; condition?: string; names?: object; values: object },
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: chunkItemKey(ref),
          UpdateExpression: `SET #lease = :lease, #updatedAt = :nowIso${change.set ?? ''}${change.remove ?? ''}`,
          ConditionExpression: `${HELD_BY_OWNER}${change.condition ?? ''}`,
          ExpressionAttributeNames: {
            ...CHUNK_NAMES,
            '#upload': uploadAttributeOf(ref.key),
            ...change.names,
          },
          ExpressionAttributeValues: {
            ':lease': now.getTime() + leaseSeconds * 1000,
            ':nowIso': now.toISOString(),
            ':owner': owner,
            ':inProgress': 'IN_PROGRESS',
            ...change.values,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
