import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ObjectRef } from './ledger.js';
import { objectPartitionKey } from './ledger-updates.js';
import type { RecordedUpload } from './recorded-upload.js';

export type { RecordedUpload };

/** Upload state on ledger items; additive to {@link Ledger}, on the same items. */
export interface UploadLedger {
  recorded(ref: ObjectRef): Promise<RecordedUpload | undefined>;
  /**
   * Records an upload's progress on the item while `owner` holds its claim, and renews the claim's
   * lease. False when the claim is no longer `owner`'s.
   */
  record(ref: ObjectRef, upload: RecordedUpload, leaseSeconds: number, now?: Date): Promise<boolean>;
  /** Forgets an upload that completed or was aborted; aborted upload ids stay in `abortedUploads`. */
  close(ref: ObjectRef, uploadId: string, how: 'completed' | 'aborted', now?: Date): Promise<void>;
}

/** Aborted upload ids, a list (JSON-friendly, unlike a DynamoDB set) on the item. */
const APPEND_ABORTED = '#abortedUploads = list_append(if_not_exists(#abortedUploads, :none), :ids)';

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string })?.name === 'ConditionalCheckFailedException';

/** {@link UploadLedger} on the ledger table: the `upload` map of an object's item. */
export class DynamoDbUploadLedger implements UploadLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private keyOf(ref: ObjectRef) {
    return { pk: objectPartitionKey(ref.bucket, ref.key), sk: ref.operation };
  }

  async recorded(ref: ObjectRef): Promise<RecordedUpload | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: this.keyOf(ref),
        ConsistentRead: true,
        ProjectionExpression: '#upload',
        ExpressionAttributeNames: { '#upload': 'upload' },
      }),
    );
    return out.Item?.upload as RecordedUpload | undefined;
  }

  async record(ref: ObjectRef, upload: RecordedUpload, leaseSeconds: number, now = new Date()) {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(ref),
          UpdateExpression: 'SET #upload = :upload, #lease = :lease, #updatedAt = :now',
          ConditionExpression: '#state = :inProgress AND #owner = :owner',
          ExpressionAttributeNames: {
            '#upload': 'upload',
            '#lease': 'leaseExpiresAt',
            '#updatedAt': 'updatedAt',
            '#state': 'state',
            '#owner': 'owner',
          },
          ExpressionAttributeValues: {
            ':upload': upload,
            ':lease': now.getTime() + leaseSeconds * 1000,
            ':now': now.toISOString(),
            ':inProgress': 'IN_PROGRESS',
            ':owner': upload.owner,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async close(ref: ObjectRef, uploadId: string, how: 'completed' | 'aborted', now = new Date()) {
    const aborted = how === 'aborted';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(ref),
          UpdateExpression: `SET #last = :last${aborted ? `, ${APPEND_ABORTED}` : ''} REMOVE #upload`,
          // Another attempt's newer upload is not this one's to forget.
          ConditionExpression: '#upload.#uploadId = :id',
          ExpressionAttributeNames: {
            '#upload': 'upload',
            '#uploadId': 'uploadId',
            '#last': 'lastUpload',
            ...(aborted ? { '#abortedUploads': 'abortedUploads' } : {}),
          },
          ExpressionAttributeValues: {
            ':id': uploadId,
            ':last': { uploadId, how, at: now.toISOString() },
            ...(aborted ? { ':ids': [uploadId], ':none': [] } : {}),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Not (or no longer) recorded: an aborted upload is still listed.
      if (aborted) await this.noteAborted(ref, uploadId);
    }
  }

  private async noteAborted(ref: ObjectRef, uploadId: string) {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(ref),
          UpdateExpression: `SET ${APPEND_ABORTED}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#abortedUploads': 'abortedUploads' },
          ExpressionAttributeValues: { ':ids': [uploadId], ':none': [] },
        }),
      )
      .catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
  }
}
