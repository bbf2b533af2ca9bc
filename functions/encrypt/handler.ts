import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RunCloser } from '../../shared/audit/run-digest.js';
import { type EncryptDeps, encryptObject } from '../../shared/jobs/encrypt-object.js';
import { EncryptJobSchema, parseMessage } from '../../shared/jobs/messages.js';
import { logger } from '../../shared/logger.js';
import type { RunStore } from '../../shared/runs/run-store.js';
import { workerSseCustomerKey } from '../../shared/s3/sse-c-key-source.js';
import { once } from '../lazy.js';
import { objectJobDeps } from '../object-job-deps.js';
import { settleBatchRuns } from '../run-epilogue.js';
import { type BatchOptions, processSqsBatch } from '../sqs-batch.js';

export type EncryptHandlerDeps = EncryptDeps & { runs: RunStore; batch?: BatchOptions; closer?: RunCloser };

/**
 * Builds the encrypt queue consumer over injected dependencies; `handler` below is the one Lambda
 * and the local worker run. Each record: validate, encrypt one object; then count the batch's
 * outcomes per run with one counter write.
 */
export function createEncryptHandler(deps: () => Promise<EncryptHandlerDeps> | EncryptHandlerDeps) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const resolved = await deps();
    const { response, results } = await processSqsBatch(
      event,
      context,
      async (record) => {
        const job = parseMessage(EncryptJobSchema, record.body);
        const result = await encryptObject(job, resolved);
        logger.info('job done', {
          runId: job.runId,
          jobId: job.jobId,
          bucket: job.bucket,
          key: job.key,
          ...result,
        });
        return { runId: job.runId, result };
      },
      resolved.batch,
    );
    // Outcomes are counted by each record's audit append; close the runs this batch completed.
    await settleBatchRuns(
      resolved.closer,
      results.map(({ result }) => result.runId),
      resolved.faults,
    );
    return response;
  };
}

async function defaultDeps(): Promise<EncryptHandlerDeps> {
  const deps = await objectJobDeps('encrypt');
  return { ...deps, sseCustomerKey: await workerSseCustomerKey(deps.config, deps.kms) };
}

export const handler = middy(createEncryptHandler(once(defaultDeps))).use(injectLambdaContext(logger));
