import { DynamoDbUploadLedger } from '../shared/chunks/chunk-uploads.js';
import { DynamoDbChunkStore } from '../shared/chunks/dynamodb-chunk-store.js';
import { faultsFor } from '../shared/faults.js';
import { handlerRuntime } from '../shared/handler-runtime.js';
import { largeObjectRouting } from '../shared/jobs/large-object-route.js';
import { manifestCloser } from '../shared/manifests/close-manifests.js';
import type { QueueName } from '../shared/queues.js';
import { leavingDrivenRuns } from '../shared/runs/driven-runs.js';
import { RunStore } from '../shared/runs/run-store.js';
import { processShardPool } from '../shared/runs/shard-pool.js';
import { AclInspector } from '../shared/s3/object-acl.js';
import { processCommitFeed } from '../shared/transparency/deployment-log.js';
import { FailureLog } from '../shared/worker/dead-letters.js';
import { localClaims } from '../shared/worker/local-claims.js';
import { processObjectLanes } from '../shared/worker/object-lanes.js';

/**
 * What every chunk handler (encrypt, rewrap, events, large objects) is built from on Lambda or a
 * worker: clients, the chunk store and the audit location, run counters and closer, and its
 * queue's batch options (docs/architecture.md, "Chunk ledger").
 */
export async function chunkDeps(queue: QueueName) {
  const { config, clients, workQueues, deadLetterQueues } = handlerRuntime();
  const work = await workQueues();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  const chunks = new DynamoDbChunkStore(
    clients.dynamo,
    config.ledgerTable,
    processShardPool(config.tallyShards),
  );
  // A local process names itself in its claims and keeps them, to give them back when interrupted.
  const local = config.onLambda ? undefined : localClaims();
  const sequencing = processCommitFeed(clients, config);
  const closer = manifestCloser(runs, clients.s3, config.auditLocation, chunks, sequencing);
  return {
    s3: clients.s3,
    kms: clients.kms,
    acl: new AclInspector(clients.s3),
    chunks: local ? local.track(chunks) : chunks,
    local,
    // A local process bounds its objects in flight over all its chunks (--pollers × 10).
    objectLanes: local ? processObjectLanes() : undefined,
    auditLocation: config.auditLocation,
    sequencing,
    runs,
    // A local run's driver closes its own run: its handlers leave that run's checks to it.
    closer: local ? leavingDrivenRuns(closer) : closer,
    faults: faultsFor(config.faults),
    config,
    // Lambda stops an invocation at its timeout; a worker has no such deadline (it serves the
    // objects too large for Lambda), so only Lambda refuses work it cannot finish in time.
    lambdaDeadline: config.onLambda
      ? {
          marginMs: config.deadlineMarginSeconds * 1000,
          functionTimeoutMs:
            config.functionTimeoutSeconds === undefined ? undefined : config.functionTimeoutSeconds * 1000,
        }
      : undefined,
    // Large objects go to the large-object queue; only its worker overrides this (docs/large-buckets.md).
    largeObjects: largeObjectRouting(config, clients.sqs, work.large),
    uploads: new DynamoDbUploadLedger(clients.dynamo, config.ledgerTable),
    batch: {
      deadLetter: { sqs: clients.sqs, url: async () => (await deadLetterQueues())[queue], queue },
      failures: new FailureLog(clients.dynamo, config.ledgerTable),
      retry: { sqs: clients.sqs, queueUrl: work[queue] },
    },
  };
}
