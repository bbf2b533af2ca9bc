import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RunCloser } from '../../shared/audit/run-digest.js';
import { eventOfOwnWrite } from '../../shared/events/own-writes.js';
import { parseS3Message } from '../../shared/events/s3-event.js';
import { jobForEvent } from '../../shared/events/watch-jobs.js';
import { WatchRuns } from '../../shared/events/watch-runs.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { type EncryptDeps, encryptObject, type JobResult } from '../../shared/jobs/encrypt-object.js';
import type { GroupCommit } from '../../shared/lifecycle/group-commit.js';
import { logger } from '../../shared/logger.js';
import type { RunStore } from '../../shared/runs/run-store.js';
import { WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { once } from '../lazy.js';
import { objectJobDeps } from '../object-job-deps.js';
import { settleBatchRuns } from '../run-epilogue.js';
import { type BatchOptions, processSqsBatch } from '../sqs-batch.js';

export type EventsHandlerDeps = EncryptDeps & {
  runs: RunStore;
  policies: WatchPolicyStore;
  closer?: RunCloser;
  batch?: BatchOptions;
  /** The jobs in flight whose writes share transactions: each created object runs as one. */
  group?: GroupCommit;
};

/**
 * The object-events queue consumer: S3 ObjectCreated notifications for watched buckets. Test
 * events are dropped; the echo of our own write is recognised from the ledger and needs no
 * decision; each other created object goes through the same encrypt path as a backfill, whose
 * compliance check makes any echo the ledger cannot prove a no-op too (no loops). Events arrive at
 * least once and unordered, which is harmless: every job starts from a fresh HEAD, and the ledger
 * admits one write per object version.
 */
export function createEventsHandler(deps: () => Promise<EventsHandlerDeps> | EventsHandlerDeps) {
  let watchRuns: WatchRuns | undefined;
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const resolved = await deps();
    const now = resolved.now ?? (() => new Date());
    watchRuns ??= new WatchRuns(resolved.runs);
    const runsOfWatch = watchRuns;
    const { response, results } = await processSqsBatch(
      event,
      context,
      async (record) => {
        const parsed = parseS3Message(record.body);
        if (parsed.kind === 'test-event') {
          logger.info('dropped s3:TestEvent', { bucket: parsed.bucket });
          return [];
        }
        const outcomes: Array<{ runId: string; result: JobResult }> = [];
        for (const created of parsed.objects) {
          if (await eventOfOwnWrite(resolved.ledger, created)) {
            logger.debug('event of our own write: nothing to decide', {
              bucket: created.bucket,
              key: created.key,
            });
            continue;
          }
          const at = now();
          const job = jobForEvent(created, await resolved.policies.forBucket(created.bucket), at);
          await runsOfWatch.record(job, at);
          const run = () => encryptObject(job, resolved);
          const result = await (resolved.group ? resolved.group.run(run) : run());
          // One info line per object decided; an echo or a redelivery that decided nothing new is debug.
          (result.outcome === 'duplicate' ? logger.debug : logger.info).call(logger, 'event handled', {
            runId: job.runId,
            jobId: job.jobId,
            bucket: job.bucket,
            key: job.key,
            ...result,
          });
          outcomes.push({ runId: job.runId, result });
        }
        return outcomes;
      },
      resolved.batch,
    );
    // Outcomes are counted by each record's audit append; close the runs this batch completed.
    await settleBatchRuns(
      resolved.closer,
      results.flatMap(({ result }) => result.map(({ runId }) => runId)),
      resolved.faults,
    );
    return response;
  };
}

async function defaultDeps(): Promise<EventsHandlerDeps> {
  const { config, clients } = handlerRuntime();
  return {
    ...(await objectJobDeps('events')),
    policies: new WatchPolicyStore(clients.dynamo, config.ledgerTable),
  };
}

export const handler = middy(createEventsHandler(once(defaultDeps))).use(injectLambdaContext(logger));
