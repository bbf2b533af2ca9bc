import { randomUUID } from 'node:crypto';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';

/**
 * The test as Lambda's SQS event source: takes messages off a real queue and hands them to a
 * handler as the event Lambda would build, with a context that has a minute left.
 */
export const lambdaContext = {
  functionName: 's3-seal-test',
  awsRequestId: randomUUID(),
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

export function sqsEvent(messages: Message[], queueUrl: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueUrl,
      awsRegion: 'us-east-1',
    })),
  };
}

/** Takes the messages a receive returns off a queue (or all of them, `until: 'empty'`). */
export async function drain(
  sqs: SQSClient,
  queueUrl: string,
  options: { until?: 'empty'; waitSeconds?: number } = {},
): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: options.waitSeconds ?? 2,
      }),
    );
    for (const m of out.Messages ?? []) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
    all.push(...(out.Messages ?? []));
    if (options.until !== 'empty' || !out.Messages?.length) return all;
  }
}

/** Messages waiting on a queue (SQS's approximate count; exact on the local stack). */
export async function waiting(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}
