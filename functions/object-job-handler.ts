import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { z } from 'zod';
import type { RunCloser } from '../shared/audit/run-digest.js';
import type { Faults } from '../shared/faults.js';
import { parseMessage } from '../shared/jobs/messages.js';
import { type DeadlineOptions, estimateWorkMs, JobDeadline } from '../shared/lifecycle/deadline.js';
import type { GroupCommit } from '../shared/lifecycle/group-commit.js';
import type { JobResult } from '../shared/lifecycle/job-result.js';
import { logger } from '../shared/logger.js';
import type { RunStore } from '../shared/runs/run-store.js';
import { settleBatchRuns } from './run-epilogue.js';
import { type BatchOptions, processSqsBatch } from './sqs-batch.js';

/** What every object job handler adds to its operation's dependencies. */
export interface ObjectJobHandlerDeps {
  runs: RunStore;
  batch?: BatchOptions;
  closer?: RunCloser;
  faults?: Faults;
  /**
   * On Lambda: keep this much of the invocation free and start no object that cannot finish before
   * the deadline (docs/architecture.md, "Deadlines and leases"). Absent: no deadline (a worker).
   */
  lambdaDeadline?: DeadlineOptions;
  /** The jobs in flight whose writes share transactions: each record runs as one of them. */
  group?: GroupCommit;
}

/** One kind of object job: its message schema and the core function that runs one job. */
export interface ObjectJobKind<J extends { runId: string; jobId: string; bucket: string; key: string }, D> {
  /** For logs: `encrypt`, `rewrap`. */
  name: string;
  /**
   * The log message of a finished record (`job done`, `rewrap done`: log queries depend on it); a
   * queue that carries several kinds (the large-object queue) names it per job.
   */
  doneMessage: string | ((job: J) => string);
  schema: z.ZodType<J>;
  run: (job: J, deps: D & { deadline?: JobDeadline }) => Promise<JobResult>;
  /** The object's size when the message carries it: checked against the deadline before starting. */
  sizeOf?: (job: J) => number | undefined;
}

/**
 * Builds an SQS handler for one kind of object job (encrypt, rewrap) over injected dependencies:
 * each record is validated, checked against the invocation's deadline and run; then the runs of
 * the batch are closed if complete (each outcome was counted by its audit append). Records not started for the deadline come back untouched.
 */
export function createObjectJobHandler<
  J extends { runId: string; jobId: string; bucket: string; key: string },
  D,
>(kind: ObjectJobKind<J, D>, deps: () => Promise<D & ObjectJobHandlerDeps> | (D & ObjectJobHandlerDeps)) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const resolved = await deps();
    const deadline = resolved.lambdaDeadline && JobDeadline.fromContext(context, resolved.lambdaDeadline);
    const jobDeps = { ...resolved, deadline };
    const { response, results } = await processSqsBatch(
      event,
      context,
      async (record) => {
        const job = parseMessage(kind.schema, record.body);
        // The size a message carries is checked before anything is read; the size S3 shows is
        // checked again after the HEAD (the lifecycle), against the write path's own speed.
        const size = kind.sizeOf?.(job);
        deadline?.assertCanFinish(estimateWorkMs(size, 'copy'), `${kind.name} of ${job.key}`);
        const run = () => kind.run(job, jobDeps);
        const result = await (resolved.group ? resolved.group.run(run) : run());
        const done = typeof kind.doneMessage === 'string' ? kind.doneMessage : kind.doneMessage(job);
        // One info line per object decided; a redelivery that decided nothing new is debug.
        (result.outcome === 'duplicate' ? logger.debug : logger.info).call(logger, done, {
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
    // Outcomes are counted by each record's audit append; close the runs this batch completed
    // (duplicates included), or throw so that Lambda retries the batch and the check is made again.
    await settleBatchRuns(
      resolved.closer,
      results.map(({ result }) => result.runId),
      resolved.faults,
    );
    return response;
  };
}
