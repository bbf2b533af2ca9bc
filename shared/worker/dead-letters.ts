import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { queueText } from '../sqs-text.js';

/** Message attributes a dead-lettered message carries, so `s3-seal dlq list` can say why. */
export const ERROR_ATTRIBUTE = 's3seal-error';
export const SOURCE_ATTRIBUTE = 's3seal-source-queue';

/**
 * Moves a message no retry can fix (not JSON, not an S3 event, an unknown bucket) straight to the
 * dead-letter queue with its reason attached, instead of letting it fail maxReceiveCount times.
 */
export async function sendToDeadLetter(
  sqs: SQSClient,
  deadLetterUrl: string,
  message: { body: string; messageId: string },
  reason: string,
  sourceQueue: string,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterUrl,
      MessageBody: message.body,
      MessageAttributes: {
        [ERROR_ATTRIBUTE]: { DataType: 'String', StringValue: queueText(reason, 1000) },
        [SOURCE_ATTRIBUTE]: { DataType: 'String', StringValue: sourceQueue },
        's3seal-original-message-id': { DataType: 'String', StringValue: message.messageId },
      },
    }),
  );
}

const DAY = 24 * 3600;

/**
 * The last error of each message that failed and went back to its queue. SQS's redrive to the DLQ
 * keeps the message id but not the reason; this record keeps it (14 days, like the DLQ).
 */
export class FailureLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(messageId: string, queue: string, error: string): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `failure#${messageId}`,
          sk: 'last',
          queue,
          error: error.slice(0, 1000),
          at: new Date().toISOString(),
          expiresAt: now + 14 * DAY,
        },
      }),
    );
  }

  async lastError(messageId: string): Promise<string | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `failure#${messageId}`, sk: 'last' } }),
    );
    return out.Item?.error as string | undefined;
  }
}
