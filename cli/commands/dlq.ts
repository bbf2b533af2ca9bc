import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type Command, Option } from 'commander';
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

async function listCommand(options: { queue?: QueueName }): Promise<number> {
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

async function redriveCommand(options: { queue?: QueueName }): Promise<number> {
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

export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('inspect and redrive the dead-letter queues');
  const queueOption = () => new Option('--queue <queue>', 'only this queue').choices(QUEUES);
  dlq
    .command('list')
    .description('show the messages in the dead-letter queues and why they failed')
    .addOption(queueOption())
    .action(async (options: { queue?: QueueName }) => {
      process.exitCode = await listCommand(options);
    });
  dlq
    .command('redrive')
    .description('move dead-lettered messages back to their queues')
    .addOption(queueOption())
    .action(async (options: { queue?: QueueName }) => {
      process.exitCode = await redriveCommand(options);
    });
}
