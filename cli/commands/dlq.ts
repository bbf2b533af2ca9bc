import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { QUEUES, type QueueName } from '../../shared/queues.js';
import { ERROR_ATTRIBUTE, FailureLog } from '../../shared/worker/dead-letters.js';
import { cliRuntime } from '../runtime.js';

/** Reads every message of a DLQ once, hiding each for `hideSeconds` so the loop ends. */
async function drain(sqs: SQSClient, url: string, hideSeconds: number): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: hideSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (!out.Messages?.length) return all;
    all.push(...out.Messages);
  }
}

function selected(queue?: QueueName): readonly QueueName[] {
  return queue ? [queue] : QUEUES;
}

export async function listCommand(options: { queue?: QueueName }): Promise<number> {
  const { config, clients, queues } = cliRuntime();
  const { deadLetter } = await queues();
  const failures = new FailureLog(clients.dynamo, config.ledgerTable);
  for (const queue of selected(options.queue)) {
    // Hidden briefly while listed; they become visible again, untouched, a few seconds later.
    const messages = await drain(clients.sqs, deadLetter[queue], 5);
    console.log(`${queue}-dlq: ${messages.length} message(s)`);
    for (const m of messages) {
      const reason =
        m.MessageAttributes?.[ERROR_ATTRIBUTE]?.StringValue ??
        (await failures.lastError(m.MessageId!)) ??
        'failed repeatedly (reason not recorded)';
      const receives = m.Attributes?.ApproximateReceiveCount ?? '?';
      console.log(
        `  ${m.MessageId}  receives=${receives}  ${reason}\n    body: ${(m.Body ?? '').slice(0, 160)}`,
      );
    }
  }
  return 0;
}

export async function redriveCommand(options: { queue?: QueueName }): Promise<number> {
  const { clients, queues } = cliRuntime();
  const { work, deadLetter } = await queues();
  for (const queue of selected(options.queue)) {
    const messages = await drain(clients.sqs, deadLetter[queue], 60);
    for (const m of messages) {
      // Send first, then delete: a crash in between leaves a duplicate, which the ledger absorbs.
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: work[queue], MessageBody: m.Body ?? '' }));
      await clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: deadLetter[queue], ReceiptHandle: m.ReceiptHandle! }),
      );
    }
    console.log(`${queue}-dlq: moved ${messages.length} message(s) back to ${queue}`);
  }
  return 0;
}
