import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoDbChunkStore } from '../../shared/chunks/dynamodb-chunk-store.js';
import { fixMembership } from '../../shared/chunks/listing-record.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { InventoryError } from '../../shared/inventory/errors.js';
import { chainIdOf } from '../../shared/jobs/chain-plan.js';
import { inventoryFilePage } from '../../shared/jobs/inventory-file.js';
import { parseScanQueueMessage } from '../../shared/jobs/messages.js';
import { scanChainPage } from '../../shared/jobs/scan-chain.js';
import { scanPage } from '../../shared/jobs/scan-page.js';
import { logger } from '../../shared/logger.js';
import { manifestCloser } from '../../shared/manifests/close-manifests.js';
import { rewrapInventoryFilePage } from '../../shared/rewrap/inventory-file.js';
import { rewrapPlanPage } from '../../shared/rewrap/plan-page.js';
import { leavingDrivenRuns } from '../../shared/runs/driven-runs.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { ScanChains } from '../../shared/runs/scan-chains.js';
import { processShardPool } from '../../shared/runs/shard-pool.js';
import { processCommitFeed } from '../../shared/transparency/deployment-log.js';
import { FailureLog } from '../../shared/worker/dead-letters.js';
import { settleBatchRuns } from '../run-epilogue.js';
import { processSqsBatch } from '../sqs-batch.js';

/**
 * Scan queue consumer: one listing page, one inventory data file (of an encrypt or a re-wrap run)
 * or one rewrap plan page per message
 * (docs/architecture.md, "Flow").
 */
async function scanHandler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const { config, clients, workQueues, deadLetterQueues } = handlerRuntime();
  const work = await workQueues();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  const chains = new ScanChains(clients.dynamo, config.ledgerTable);
  // Inventory rows settled from the report are committed here as decided chunks (docs/large-buckets.md).
  const chunks = new DynamoDbChunkStore(
    clients.dynamo,
    config.ledgerTable,
    processShardPool(config.tallyShards),
  );
  const sequencing = processCommitFeed(clients, config);
  const { response, results } = await processSqsBatch(
    event,
    context,
    async (record) => {
      const message = parseScanQueueMessage(record.body);
      const deps = {
        ...clients,
        runs,
        chains,
        chunks,
        queues: work,
        config,
        auditLocation: config.auditLocation,
        sequencing,
      };
      const result =
        message.type === 'rewrap-plan'
          ? await rewrapPlanPage(message, {
              ...deps,
              location: config.auditLocation,
              largeObjectBytes: config.largeObjectBytes,
              fixMembership,
              ledgerTable: config.ledgerTable,
              scanQueueUrl: work.scan,
            })
          : message.type === 'inventory-file'
            ? await inventoryFilePage(message, deps)
            : message.type === 'rewrap-inventory-file'
              ? await rewrapInventoryFilePage(message, deps)
              : message.chain
                ? await scanChainPage(message, deps)
                : await scanPage(message, deps);
      logger.info('scanned page', {
        runId: message.runId,
        chain: message.type === 'scan' && message.chain ? chainIdOf(message.chain.prefix) : undefined,
        page: message.page,
        ...result,
      });
      return message.runId;
    },
    {
      deadLetter: { sqs: clients.sqs, url: async () => (await deadLetterQueues()).scan, queue: 'scan' },
      // A data file that matched its MD5 and does not read has already failed its run.
      deadLetterAtOnce: (error) => error instanceof InventoryError,
      failures: new FailureLog(clients.dynamo, config.ledgerTable),
      retry: { sqs: clients.sqs, queueUrl: work.scan },
    },
  );
  // A run whose jobs all finished before its scan did (or that has no objects) closes here; a
  // local run's driver closes its own (driven-runs.ts), as after the chunk handlers' batches.
  const closer = manifestCloser(runs, clients.s3, config.auditLocation, chunks, sequencing);
  await settleBatchRuns(
    config.onLambda ? closer : leavingDrivenRuns(closer),
    results.map(({ result }) => result),
    undefined,
    sequencing,
  );
  return response;
}

export const handler = middy(scanHandler).use(injectLambdaContext(logger));
