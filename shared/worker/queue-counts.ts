import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueCounts {
  /** Messages waiting to be received. */
  queued: number;
  /** Messages received and not yet deleted: being worked on, or held by a worker that died. */
  inFlight: number;
}

/**
 * Messages waiting and in flight across `queueUrls`. SQS reports these approximately and per queue,
 * not per run: queues are shared by every run.
 */
export async function queueCounts(sqs: SQSClient, queueUrls: string[]): Promise<QueueCounts> {
  const counts = await Promise.all(
    queueUrls.map(async (QueueUrl) => {
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const a = out.Attributes ?? {};
      return {
        queued: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    }),
  );
  return counts.reduce((sum, c) => ({ queued: sum.queued + c.queued, inFlight: sum.inFlight + c.inFlight }), {
    queued: 0,
    inFlight: 0,
  });
}
