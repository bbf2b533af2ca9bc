import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { RetryableError } from '../errors.js';
import { queueBody } from '../sqs-text.js';

/** SendMessageBatch takes ten entries of at most 256 KiB together (SQS API Reference, SendMessageBatch). */
const ENTRIES_PER_BATCH = 10;
const BYTES_PER_BATCH = 256 * 1024;
/** Batches in flight at once. */
const BATCHES_AT_ONCE = 10;

/**
 * Sends messages ten to a SendMessageBatch (fewer when ten chunk messages of long keys would pass
 * the request's size limit), ten requests at a time; entries SQS refuses are sent again, twice.
 */
export async function sendInBatches(sqs: SQSClient, queueUrl: string, messages: object[]): Promise<void> {
  const batches = packBatches(messages.map(queueBody));
  for (let i = 0; i < batches.length; i += BATCHES_AT_ONCE) {
    await Promise.all(batches.slice(i, i + BATCHES_AT_ONCE).map((batch) => sendBatch(sqs, queueUrl, batch)));
  }
}

/** Bodies in order, ten a batch at most and under the batch's byte limit (a larger body goes alone). */
export function packBatches(bodies: string[]): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body, 'utf8');
    if (batch.length === ENTRIES_PER_BATCH || (batch.length > 0 && bytes + size > BYTES_PER_BATCH)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(body);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

async function sendBatch(sqs: SQSClient, queueUrl: string, batch: string[]): Promise<void> {
  let pending = batch.map((body, i) => ({ Id: String(i), MessageBody: body }));
  for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
    const failed = new Set((out.Failed ?? []).map((f) => f.Id));
    pending = pending.filter((entry) => failed.has(entry.Id));
  }
  if (pending.length > 0) {
    throw new RetryableError(`SQS refused ${pending.length} messages after 3 attempts`);
  }
}
