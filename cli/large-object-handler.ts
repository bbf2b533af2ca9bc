import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createEncryptHandler, type EncryptHandlerDeps } from '../functions/encrypt/handler.js';
import { once } from '../functions/lazy.js';
import { objectJobDeps } from '../functions/object-job-deps.js';
import type { ObjectRef } from '../shared/ledger/ledger.js';
import type { RecordedUpload } from '../shared/ledger/upload-state.js';
import { logger } from '../shared/logger.js';
import { workerSseCustomerKey } from '../shared/s3/sse-c-key-source.js';

const MiB = 1024 * 1024;

/** One line per recorded step of a large object's upload, on the worker's stderr. */
export function describeUploadProgress(ref: ObjectRef, upload: RecordedUpload): string {
  const percent = upload.totalBytes > 0 ? Math.floor((100 * upload.bytesDone) / upload.totalBytes) : 100;
  return (
    `worker: large object s3://${ref.bucket}/${ref.key}: ${upload.partsDone} parts, ` +
    `${(upload.bytesDone / MiB).toFixed(1)} of ${(upload.totalBytes / MiB).toFixed(1)} MiB (${percent}%), ` +
    `upload ${upload.uploadId.slice(0, 16)}`
  );
}

/**
 * The large-object queue's consumer (docs/large-buckets.md, "The large-object route"): the encrypt
 * job logic with the role of serving large objects, run only by `s3-seal worker` and local runs,
 * never deployed as a Lambda. Its progress goes to the worker's output as parts land.
 */
export const largeObjectJobHandler = createEncryptHandler(
  once(async (): Promise<EncryptHandlerDeps> => {
    const deps = await objectJobDeps('large');
    return {
      ...deps,
      sseCustomerKey: await workerSseCustomerKey(deps.config, deps.kms),
      largeObjects: { serves: true },
      onUploadProgress: (ref, upload) => console.error(describeUploadProgress(ref, upload)),
    };
  }),
);

/**
 * Keeps a batch's messages hidden while its handler runs: a large object may take longer than any
 * fixed visibility timeout, and a message that reappears mid-job would only meet the live claim and
 * count a receive towards the dead-letter queue. Stops with the handler; a dead worker stops
 * extending, so its message comes back within `visibilitySeconds`.
 */
export function keepingMessagesHidden(
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  sqs: SQSClient,
  visibilitySeconds: number,
) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const extend = () =>
      Promise.all(
        event.Records.map((record) =>
          sqs
            .send(
              new ChangeMessageVisibilityCommand({
                QueueUrl: record.eventSourceARN,
                ReceiptHandle: record.receiptHandle,
                VisibilityTimeout: visibilitySeconds,
              }),
            )
            .catch((error) => logger.warn('could not extend visibility', { error: String(error) })),
        ),
      );
    const timer = setInterval(() => void extend(), Math.max(1000, (visibilitySeconds * 1000) / 3));
    try {
      return await handler(event, context);
    } finally {
      clearInterval(timer);
    }
  };
}
