import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Faults } from '../faults.js';
import { logger } from '../logger.js';
import type { QueuePacing } from './queue-pacing.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: SqsHandler;
  /** Name the handler sees as its function name (audit actor, logs). */
  functionName: string;
  batchSize?: number;
  waitSeconds?: number;
  /** How long a received batch stays invisible to other pollers while the handler runs. */
  visibilitySeconds?: number;
  signal: AbortSignal;
  /**
   * Gives up the batch in hand without waiting for its handler (an interrupt's grace period ran
   * out): its messages go back to the queue at once, none deleted, and this poller returns.
   */
  abandon?: AbortSignal;
  /**
   * Resolves when this poller may receive: it waits here, never in a receive, so a stop ends the
   * wait at once (cli/pollers.ts: spare pollers, a local run's hold-off).
   */
  gate?: (signal: AbortSignal) => Promise<void>;
  onBatch?: (received: number, failed: number) => void;
  /** Soak only: deliver some messages twice, crash before deleting a batch. */
  faults?: Faults;
  /**
   * Shared by the pollers of one queue: parks pollers the queue does not need and spaces an idle
   * queue's receives. Without it, every empty receive is followed at once by the next.
   */
  pacing?: QueuePacing;
}

function toRecord(message: Message, queueUrl: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueUrl,
    awsRegion: region,
  };
}

function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/local/${functionName}`,
    logStreamName: 'worker',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Serves one queue the way Lambda's SQS event source does: receive up to ten, invoke the handler
 * with an SQS event, delete what succeeded, leave reported failures (or the whole batch, if the
 * handler throws) to come back; SQS's redrive policy moves a message to its DLQ after
 * maxReceiveCount. Runs until `signal` aborts, finishing the batch in hand first.
 */
export async function pollQueue(options: PollerOptions): Promise<void> {
  const { pacing } = options;
  pacing?.join();
  try {
    await serveQueue(options);
  } finally {
    pacing?.leave();
  }
}

async function serveQueue(options: PollerOptions): Promise<void> {
  const { sqs, queueUrl, signal, pacing } = options;
  const region = (await sqs.config.region()) ?? 'local';
  const visibilitySeconds = options.visibilitySeconds ?? 300;
  while (!signal.aborted) {
    await options.gate?.(signal);
    if (signal.aborted) return;
    let messages: Message[];
    try {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: options.batchSize ?? 10,
          WaitTimeSeconds: options.waitSeconds ?? 1,
          VisibilityTimeout: visibilitySeconds,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      messages = out.Messages ?? [];
    } catch (error) {
      if (signal.aborted) return;
      logger.warn('receive failed', { queueUrl, error: String(error) });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    if (messages.length === 0) {
      await pacing?.idle(signal);
      continue;
    }
    if (signal.aborted) {
      // Stopped while this receive was waiting: take no new work, give the messages straight back.
      await returnToQueue(sqs, queueUrl, messages);
      return;
    }
    pacing?.received(messages.length);
    let outcome: typeof ABANDONED | undefined;
    try {
      outcome = await serveBatch(options, messages, region, visibilitySeconds);
    } finally {
      pacing?.handled();
    }
    if (outcome === ABANDONED) return;
  }
}

/**
 * Runs the handler over one received batch and deletes what succeeded; ABANDONED when `abandon`
 * gave the batch back to the queue instead.
 */
async function serveBatch(
  options: PollerOptions,
  messages: Message[],
  region: string,
  visibilitySeconds: number,
): Promise<typeof ABANDONED | undefined> {
  const { sqs, queueUrl } = options;
  if (options.faults?.enabled) await duplicateSome(options.faults, sqs, queueUrl, messages);
  const records = messages.map((m) => toRecord(m, queueUrl, region));
  let failedIds: Set<string>;
  try {
    const handled = options.handler(
      { Records: records },
      lambdaContext(options.functionName, visibilitySeconds * 1000),
    );
    const response = await untilAbandoned(handled, options.abandon);
    if (response === ABANDONED) {
      handled.catch(() => undefined);
      await returnToQueue(sqs, queueUrl, messages);
      return ABANDONED;
    }
    failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch (error) {
    logger.error('handler failed the whole batch', { queueUrl, error: String(error) });
    failedIds = new Set(records.map((r) => r.messageId));
  }
  options.faults?.check('before-sqs-delete');
  await deleteSucceeded(sqs, queueUrl, records, failedIds);
  options.onBatch?.(records.length, failedIds.size);
  return undefined;
}

const ABANDONED = Symbol('abandoned');

/** The handler's response, or ABANDONED as soon as `abandon` aborts (at once if it has). */
async function untilAbandoned<T>(handled: Promise<T>, abandon: AbortSignal | undefined) {
  if (!abandon) return handled;
  let onAbort = () => {};
  try {
    return await Promise.race([
      handled,
      new Promise<typeof ABANDONED>((resolve) => {
        onAbort = () => resolve(ABANDONED);
        if (abandon.aborted) resolve(ABANDONED);
        abandon.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    // One listener per batch would pile up on a worker's signal for as long as it runs.
    abandon.removeEventListener('abort', onAbort);
  }
}

/**
 * Makes messages visible again now (visibility timeout 0) instead of at the end of their timeout,
 * so whoever resumes gets them at once. Best effort: otherwise they come back when it ends.
 */
async function returnToQueue(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  await sqs
    .send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          ReceiptHandle: m.ReceiptHandle!,
          VisibilityTimeout: 0,
        })),
      }),
    )
    .catch((error) =>
      logger.warn('could not return messages to the queue', { queueUrl, error: String(error) }),
    );
}

/** A duplicate delivery, as SQS's at-least-once delivery can produce: the same body sent again. */
async function duplicateSome(faults: Faults, sqs: SQSClient, queueUrl: string, messages: Message[]) {
  for (const message of messages) {
    if (faults.roll('duplicate')) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message.Body ?? '' }));
    }
  }
}

/**
 * Deletes what succeeded. Failed records are left as Lambda leaves them: they come back when their
 * visibility timeout ends (the handlers shorten it per record to a backoff or a held lease).
 */
async function deleteSucceeded(
  sqs: SQSClient,
  queueUrl: string,
  records: SQSRecord[],
  failedIds: Set<string>,
): Promise<void> {
  const succeeded = records.filter((r) => !failedIds.has(r.messageId));
  if (succeeded.length === 0) return;
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: succeeded.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
    }),
  );
}
