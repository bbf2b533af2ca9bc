import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describeError } from '../shared/errors.js';
import { MalformedMessageError } from '../shared/jobs/messages.js';
import { DeadlineReachedError } from '../shared/lifecycle/deadline.js';
import { logger } from '../shared/logger.js';
import { type FailureLog, sendToDeadLetter } from '../shared/worker/dead-letters.js';

/** The result of each record a batch processed without error, in order. */
export interface BatchOutcome<T> {
  response: SQSBatchResponse;
  results: Array<{ record: SQSRecord; result: T }>;
}

export interface BatchOptions {
  /** Where malformed messages go at once, with their reason, instead of failing until redriven. */
  /** Where a message that can never succeed goes; its URL is looked up when one does. */
  deadLetter?: { sqs: SQSClient; url: () => Promise<string>; queue: string };
  /**
   * Errors that no retry can fix for this queue (besides malformed messages): their record goes to
   * the dead-letter queue at once, with its reason, instead of coming back until maxReceiveCount.
   */
  deadLetterAtOnce?: (error: unknown) => boolean;
  /** Keeps the last error of each failed message for `s3-seal dlq list`. */
  failures?: FailureLog;
  /** The record's own queue, to set when a failed record comes back (see {@link retryDelaySeconds}). */
  retry?: { sqs: SQSClient; queueUrl: string };
}

/**
 * When a failed record should come back: exponential backoff by receive count (2 s, 4 s, …), capped
 * at 15 minutes. Left alone it would wait out the queue's whole visibility timeout (30 minutes for
 * encrypt). A record that found its chunk in progress elsewhere (LeaseHeldError) backs off the same
 * way: the attempt holding it renews its lease while it works, and a chunk may take minutes, so
 * coming back at the lease's end would only spend receives towards the dead-letter queue; if that
 * attempt crashed, its lease runs out within one lease and the retry takes the chunk over.
 */
export function retryDelaySeconds(error: unknown, receiveCount: number): number {
  // Not started for this invocation's deadline: a fresh invocation can take it at once.
  if (error instanceof DeadlineReachedError) return 0;
  return Math.min(900, 2 ** Math.min(Math.max(receiveCount, 1), 10));
}

const DEAD_LETTERED = Symbol('dead-lettered');

/** A failed record and when it should come back. */
interface RetryAt {
  record: SQSRecord;
  delaySeconds: number;
}

/**
 * Sets when each failed record of a batch comes back: one ChangeMessageVisibilityBatch per ten
 * records (its limit), not one request per record.
 */
async function setRetryVisibility(retry: NonNullable<BatchOptions['retry']>, failed: RetryAt[]) {
  const requests: Array<Promise<unknown>> = [];
  for (let i = 0; i < failed.length; i += 10) {
    const entries = failed.slice(i, i + 10).map(({ record, delaySeconds }, n) => ({
      Id: String(n),
      ReceiptHandle: record.receiptHandle,
      VisibilityTimeout: delaySeconds,
    }));
    requests.push(
      retry.sqs
        .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: retry.queueUrl, Entries: entries }))
        // Best effort: without it the records still come back, at the end of their visibility timeout.
        .catch(() => undefined),
    );
  }
  await Promise.all(requests);
}

/**
 * Runs `recordHandler` over an SQS batch in parallel with Powertools' BatchProcessor and reports
 * partial batch failures, so one bad message never fails or repeats its neighbours. A record whose
 * handler throws is listed in batchItemFailures and comes back after the visibility timeout; a
 * malformed one goes to the dead-letter queue with its reason.
 */
export async function processSqsBatch<T>(
  event: SQSEvent,
  context: Context,
  recordHandler: (record: SQSRecord) => Promise<T>,
  options: BatchOptions = {},
): Promise<BatchOutcome<T>> {
  const retries: RetryAt[] = [];
  const guarded = async (record: SQSRecord): Promise<T | typeof DEAD_LETTERED> => {
    try {
      return await recordHandler(record);
    } catch (error) {
      const reason = describeError(error);
      const malformed = error instanceof MalformedMessageError;
      if ((malformed || options.deadLetterAtOnce?.(error)) && options.deadLetter) {
        const { sqs, url, queue } = options.deadLetter;
        await sendToDeadLetter(sqs, await url(), record, reason, queue);
        logger.warn(malformed ? 'malformed message dead-lettered' : 'record failed for good; dead-lettered', {
          messageId: record.messageId,
          reason,
        });
        return DEAD_LETTERED;
      }
      if (error instanceof DeadlineReachedError) {
        // Nothing was claimed or written: not a failure to keep for `dlq list`, just not now.
        logger.info('record not started before the deadline; it comes back', {
          messageId: record.messageId,
          reason,
        });
      } else {
        logger.warn('record failed; it will be retried', { messageId: record.messageId, reason });
        await options.failures
          ?.record(record.messageId, options.deadLetter?.queue ?? '', reason)
          .catch(() => undefined);
      }
      const receives = Number(record.attributes?.ApproximateReceiveCount ?? 1);
      retries.push({ record, delaySeconds: retryDelaySeconds(error, receives) });
      throw error;
    }
  };
  const processor = new BatchProcessor(EventType.SQS);
  processor.register(event.Records, guarded, { context, throwOnFullBatchFailure: false });
  const processed = await processor.process();
  // Before the response: the failed records stay hidden until their retry time is set.
  if (options.retry && retries.length > 0) await setRetryVisibility(options.retry, retries);
  const results: BatchOutcome<T>['results'] = [];
  for (const entry of processed) {
    if (entry[0] === 'success' && entry[1] !== DEAD_LETTERED) {
      results.push({ record: entry[2] as SQSRecord, result: entry[1] as T });
    }
  }
  return { response: processor.response(), results };
}
