import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RunCloser } from '../../shared/audit/run-digest.js';
import type { Faults } from '../../shared/faults.js';
import { parseMessage, RewrapJobSchema } from '../../shared/jobs/messages.js';
import { logger } from '../../shared/logger.js';
import { type RewrapDeps, rewrapObject } from '../../shared/rewrap/rewrap-object.js';
import type { RunStore } from '../../shared/runs/run-store.js';
import { once } from '../lazy.js';
import { objectJobDeps } from '../object-job-deps.js';
import { settleBatchRuns } from '../run-epilogue.js';
import { type BatchOptions, processSqsBatch } from '../sqs-batch.js';

export type RewrapHandlerDeps = RewrapDeps & {
  runs: RunStore;
  batch?: BatchOptions;
  closer?: RunCloser;
  faults?: Faults;
};

/** The rewrap queue consumer: one object's data key re-wrapped per record. */
export function createRewrapHandler(deps: () => Promise<RewrapHandlerDeps> | RewrapHandlerDeps) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const resolved = await deps();
    const { response, results } = await processSqsBatch(
      event,
      context,
      async (record) => {
        const job = parseMessage(RewrapJobSchema, record.body);
        const result = await rewrapObject(job, resolved);
        logger.info('rewrap done', {
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

async function defaultDeps(): Promise<RewrapHandlerDeps> {
  return objectJobDeps('rewrap');
}

export const handler = middy(createRewrapHandler(once(defaultDeps))).use(injectLambdaContext(logger));
