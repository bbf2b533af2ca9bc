import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runChunk } from '../../shared/chunks/run-chunk.js';
import { type EnforceEventDeps, type EventOutcome, enforceEvent } from '../../shared/events/enforce-event.js';
import { EVENT_CHUNK_TTL_SECONDS } from '../../shared/events/event-chunk.js';
import { parseS3Message } from '../../shared/events/s3-event.js';
import { WatchRuns } from '../../shared/events/watch-runs.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { type EncryptDeps, encryptChunkKind } from '../../shared/jobs/encrypt-object.js';
import { JobDeadline } from '../../shared/lifecycle/deadline.js';
import { logger } from '../../shared/logger.js';
import { WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { chunkDeps } from '../chunk-deps.js';
import type { ChunkHandlerDeps } from '../chunk-handler.js';
import { once } from '../lazy.js';
import { settleBatchRuns } from '../run-epilogue.js';
import { processSqsBatch } from '../sqs-batch.js';

export type EventsHandlerDeps = EncryptDeps &
  ChunkHandlerDeps & {
    policies: EnforceEventDeps['policies'];
  };

/**
 * The object-events queue consumer: S3 ObjectCreated notifications for watched buckets
 * (docs/architecture.md, "Live enforcement"). Test events are dropped; an object already compliant
 * (our own write's echo, or an upload compliant when written) is acknowledged with nothing recorded;
 * every other upload is a one-intent chunk of the bucket's daily watch run, whose item expires after
 * a day. Events arrive at least once and unordered, which is harmless: a redelivery maps to the same
 * chunk, and every decision starts from a fresh HEAD.
 */
export function createEventsHandler(deps: () => Promise<EventsHandlerDeps> | EventsHandlerDeps) {
  let watchRuns: WatchRuns | undefined;
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const resolved = await deps();
    watchRuns ??= new WatchRuns(resolved.runs);
    const deadline = resolved.lambdaDeadline && JobDeadline.fromContext(context, resolved.lambdaDeadline);
    const chunkDeps = { ...resolved, deadline, ttlSeconds: EVENT_CHUNK_TTL_SECONDS };
    const kind = encryptChunkKind(chunkDeps);
    const enforce: EnforceEventDeps = {
      ...resolved,
      watchRuns,
      now: resolved.now ?? (() => new Date()),
      runChunk: (message) => runChunk(message, kind, chunkDeps),
    };
    const { response, results } = await processSqsBatch(
      event,
      context,
      async (record) => {
        const parsed = parseS3Message(record.body);
        if (parsed.kind === 'test-event') {
          logger.info('dropped s3:TestEvent', { bucket: parsed.bucket });
          return [];
        }
        const runIds: string[] = [];
        for (const created of parsed.objects) {
          const outcome = await enforceEvent(created, enforce);
          logOutcome(created, outcome);
          if (outcome.kind === 'chunk') runIds.push(outcome.message.runId);
        }
        return runIds;
      },
      resolved.batch,
    );
    // Outcomes are counted by each chunk's commit; close the runs this batch completed.
    await settleBatchRuns(
      resolved.closer,
      results.flatMap(({ result }) => result),
      resolved.faults,
      resolved.sequencing,
    );
    return response;
  };
}

/** One info line per object decided; an echo, a hand-off or a redelivery that decided nothing new is debug. */
function logOutcome(created: { bucket: string; key: string }, outcome: EventOutcome): void {
  const object = { bucket: created.bucket, key: created.key };
  if (outcome.kind === 'compliant') {
    logger.debug('event of a compliant object: nothing to record', { ...object, detail: outcome.detail });
    return;
  }
  const chunk = { runId: outcome.message.runId, chunkId: outcome.message.chunkId, ...object };
  if (outcome.kind === 'large') {
    logger.debug('event handed to the large-object queue', chunk);
  } else if (outcome.outcome.state === 'duplicate') {
    logger.debug('event handled', { ...chunk, outcome: 'duplicate', detail: outcome.outcome.detail });
  } else {
    for (const result of outcome.outcome.results)
      (result.outcome === 'duplicate' ? logger.debug : logger.info).call(logger, 'event handled', {
        ...chunk,
        ...result,
      });
  }
}

async function defaultDeps(): Promise<EventsHandlerDeps> {
  const { config, clients } = handlerRuntime();
  return {
    ...(await chunkDeps('events')),
    policies: new WatchPolicyStore(clients.dynamo, config.ledgerTable),
  };
}

export const handler = middy(createEventsHandler(once(defaultDeps))).use(injectLambdaContext(logger));
