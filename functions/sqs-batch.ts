import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** The result of each record a batch processed without error, in order. */
export interface BatchOutcome<T> {
  response: SQSBatchResponse;
  results: Array<{ record: SQSRecord; result: T }>;
}

/**
 * Runs `recordHandler` over an SQS batch in parallel with Powertools' BatchProcessor and reports
 * partial batch failures, so one bad message never fails or repeats its neighbours. A record whose
 * handler throws is listed in batchItemFailures and comes back after the visibility timeout.
 */
export async function processSqsBatch<T>(
  event: SQSEvent,
  context: Context,
  recordHandler: (record: SQSRecord) => Promise<T>,
): Promise<BatchOutcome<T>> {
  const processor = new BatchProcessor(EventType.SQS);
  processor.register(event.Records, recordHandler, { context, throwOnFullBatchFailure: false });
  const processed = await processor.process();
  const results: BatchOutcome<T>['results'] = [];
  for (const entry of processed) {
    if (entry[0] === 'success') results.push({ record: entry[2] as SQSRecord, result: entry[1] as T });
  }
  return { response: processor.response(), results };
}
