import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { chunkDeps } from '../functions/chunk-deps.js';
import { createChunkHandler } from '../functions/chunk-handler.js';
import type { EncryptHandlerDeps } from '../functions/encrypt/handler.js';
import { once } from '../functions/lazy.js';
import { EncryptChunkSchema, RewrapChunkSchema } from '../shared/chunks/chunk-message.js';
import { handlerRuntime } from '../shared/handler-runtime.js';
import { encryptChunkKind } from '../shared/jobs/encrypt-object.js';
import { logger } from '../shared/logger.js';
import { type RewrapDeps, rewrapChunkKind } from '../shared/rewrap/rewrap-object.js';
import { describeLargeObject, LargeObjectProgress } from '../shared/runs/large-object-progress.js';
import { workerSseCustomerKey } from '../shared/s3/sse-c-key-source.js';

/** A large-object queue message: an encrypt chunk or a rewrap chunk of one object, told apart by `type`. */
export const LargeObjectJobSchema = z.discriminatedUnion('type', [EncryptChunkSchema, RewrapChunkSchema]);
export type LargeObjectJob = z.infer<typeof LargeObjectJobSchema>;

type LargeObjectHandlerDeps = EncryptHandlerDeps & RewrapDeps;

/**
 * The large-object queue's consumer (docs/large-buckets.md, "The large-object route"): the encrypt
 * and rewrap job logic with the role of serving large objects, run only by `s3-seal worker` and
 * local runs, never deployed as a Lambda. Its progress goes to the worker's output as parts land,
 * and beside the run record for `s3-seal status`.
 */
export function createLargeObjectHandler(
  deps: () => Promise<LargeObjectHandlerDeps> | LargeObjectHandlerDeps,
) {
  return createChunkHandler<LargeObjectJob, LargeObjectHandlerDeps>(
    {
      name: 'large object',
      doneMessage: (chunk) => (chunk.type === 'rewrap-chunk' ? 'rewrap done' : 'job done'),
      schema: LargeObjectJobSchema,
      kind: (jobDeps) => {
        const encrypt = encryptChunkKind(jobDeps);
        const rewrap = rewrapChunkKind(jobDeps);
        return {
          operation: (chunk, intent, attempt) =>
            chunk.type === 'rewrap-chunk'
              ? rewrap.operation(chunk, intent, attempt)
              : encrypt.operation(chunk, intent, attempt),
        };
      },
    },
    deps,
  );
}

export const largeObjectJobHandler = createLargeObjectHandler(
  once(async (): Promise<LargeObjectHandlerDeps> => {
    const deps = await chunkDeps('large');
    const { clients, config } = handlerRuntime();
    const progress = new LargeObjectProgress(clients.dynamo, config.ledgerTable);
    return {
      ...deps,
      sseCustomerKey: await workerSseCustomerKey(deps.config, deps.kms),
      largeObjects: { serves: true },
      onUploadProgress: (ref, upload) => {
        console.error(`worker: ${describeLargeObject({ ...ref, ...upload })}`);
        // Advisory, for `s3-seal status`: a lost report never fails the job.
        void progress.report(ref, upload).catch(() => undefined);
      },
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
