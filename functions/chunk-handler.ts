import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type * as z from 'zod';
import type { ChunkIntent } from '../shared/chunks/chunk-message.js';
import {
  type ChunkDeps,
  type ChunkKind,
  type ChunkMessageCore,
  runChunk,
} from '../shared/chunks/run-chunk.js';
import { chunkTtlSeconds } from '../shared/events/event-chunk.js';
import type { Faults } from '../shared/faults.js';
import { forwardLargeChunk, type LargeObjectRole } from '../shared/jobs/large-object-route.js';
import { parseMessage } from '../shared/jobs/messages.js';
import { jobIdFor } from '../shared/jobs/scan-page.js';
import { type DeadlineOptions, estimateWorkMs, JobDeadline } from '../shared/lifecycle/deadline.js';
import type { JobResult } from '../shared/lifecycle/job-result.js';
import { infoEnabled, logger } from '../shared/logger.js';
import type { RunSettler } from '../shared/runs/driven-runs.js';
import type { RunStore } from '../shared/runs/run-store.js';
import { settleBatchRuns } from './run-epilogue.js';
import { type BatchOptions, processSqsBatch } from './sqs-batch.js';

/** What every chunk handler adds to its operation's dependencies. */
export interface ChunkHandlerDeps extends ChunkDeps {
  runs: RunStore;
  batch?: BatchOptions;
  closer?: RunSettler;
  faults?: Faults;
  largeObjects?: LargeObjectRole;
  /**
   * On Lambda: keep this much of the invocation free and start no object that cannot finish before
   * the deadline (docs/architecture.md, "Deadlines and leases"). Absent: no deadline (a worker).
   */
  lambdaDeadline?: DeadlineOptions;
}

type Message = ChunkMessageCore & {
  type: string;
  bucket: string;
  origin: string;
  large?: true;
  intents: ChunkIntent[];
};

/** One kind of chunk queue: its message schema, its operation, and its log line per object. */
export interface ChunkQueueKind<M extends Message, D> {
  /** For logs: `encrypt`, `rewrap`, `large object`. */
  name: string;
  /** The log message of each object decided (`job done`, `rewrap done`: log queries depend on it). */
  doneMessage: (message: M) => string;
  schema: z.ZodType<M>;
  kind: (deps: D & ChunkHandlerDeps) => ChunkKind<M>;
}

/**
 * Builds an SQS handler for one kind of chunk (docs/architecture.md, "Chunks"): each
 * record is validated, checked against the invocation's deadline and run as one chunk (claim,
 * objects, log, commit); then the runs of the batch are closed if complete.
 */
export function createChunkHandler<M extends Message, D>(
  queue: ChunkQueueKind<M, D>,
  deps: () => Promise<D & ChunkHandlerDeps> | (D & ChunkHandlerDeps),
) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const resolved = await deps();
    const deadline = resolved.lambdaDeadline && JobDeadline.fromContext(context, resolved.lambdaDeadline);
    const chunkDeps = { ...resolved, deadline };
    const kind = queue.kind(chunkDeps);
    const { response, results } = await processSqsBatch(
      event,
      context,
      async (record) => {
        const message = parseMessage(queue.schema, record.body);
        // A chunk marked large (or holding an object the listing showed too large) is the
        // large-object worker's, untouched (docs/architecture.md, "Large objects").
        if (await forwardLargeChunk(resolved.largeObjects, message)) return message.runId;
        // Nothing is claimed at the tail of an invocation: the first object must fit.
        const sizes = message.intents.map((intent) => intent.size ?? 0);
        deadline?.assertCanFinish(
          estimateWorkMs(Math.max(...sizes), 'copy'),
          `${queue.name} chunk ${message.chunkId}`,
        );
        // An upload's chunk handed to the large-object queue keeps its expiry (event-chunk.ts).
        const outcome = await runChunk(message, kind, { ...chunkDeps, ttlSeconds: chunkTtlSeconds(message) });
        logOutcome(queue.doneMessage(message), message, outcome);
        return message.runId;
      },
      resolved.batch,
    );
    // Outcomes are counted by each chunk's commit; close the runs this batch completed (duplicates
    // included), or throw so that Lambda retries the batch and the check is made again.
    await settleBatchRuns(
      resolved.closer,
      results.map(({ result }) => result),
      resolved.faults,
      resolved.sequencing,
    );
    return response;
  };
}

/** One info line per object decided; a chunk that decided nothing new is one debug line. */
function logOutcome(
  done: string,
  message: Message,
  outcome: { state: 'committed'; results: JobResult[] } | { state: 'duplicate'; detail: string },
): void {
  const where = { runId: message.runId, chunkId: message.chunkId, bucket: message.bucket };
  if (outcome.state === 'duplicate') {
    logger.debug(done, { ...where, outcome: 'duplicate', detail: outcome.detail });
    return;
  }
  // Debug lines print only where info lines do: at the default level (WARN) build neither.
  if (!infoEnabled()) return;
  outcome.results.forEach((result, i) => {
    const key = message.intents[i]?.key ?? '';
    (result.outcome === 'duplicate' ? logger.debug : logger.info).call(logger, done, {
      ...where,
      jobId: jobIdFor(message.runId, message.bucket, key),
      key,
      ...result,
    });
  });
}
