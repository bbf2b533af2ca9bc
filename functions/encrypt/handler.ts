import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoDbAuditLog } from '../../shared/audit/audit-log.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { type EncryptDeps, encryptObject, type JobResult } from '../../shared/jobs/encrypt-object.js';
import { EncryptJobSchema, parseMessage } from '../../shared/jobs/messages.js';
import { DynamoDbLedger } from '../../shared/ledger/dynamodb-ledger.js';
import { logger } from '../../shared/logger.js';
import { type Outcome, RunStore, tally } from '../../shared/runs/run-store.js';
import { processSqsBatch } from '../sqs-batch.js';

/**
 * Builds the encrypt queue consumer over injected dependencies; `handler` below is the one Lambda
 * and the local worker run. Each record: validate, encrypt one object, and count the batch's
 * outcomes per run with one counter write.
 */
export function createEncryptHandler(deps: () => EncryptDeps & { runs: RunStore }) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const resolved = deps();
    const { response, results } = await processSqsBatch(event, context, async (record) => {
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
    });
    const byRun = new Map<string, Array<{ outcome: Outcome; reason?: string }>>();
    for (const { result } of results) {
      const outcome = result.result.outcome;
      if (outcome === 'duplicate') continue;
      const list = byRun.get(result.runId) ?? [];
      list.push({ outcome, reason: reasonKey(result.result) });
      byRun.set(result.runId, list);
    }
    await Promise.all(
      [...byRun].map(([runId, outcomes]) => resolved.runs.addOutcomes(runId, tally(outcomes))),
    );
    return response;
  };
}

function reasonKey(result: JobResult): string | undefined {
  return result.reason?.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60);
}

function defaultDeps(): EncryptDeps & { runs: RunStore } {
  const { config, clients } = handlerRuntime();
  return {
    s3: clients.s3,
    kms: clients.kms,
    ledger: new DynamoDbLedger(clients.dynamo, config.ledgerTable),
    audit: new DynamoDbAuditLog(clients.dynamo, config.auditTable),
    runs: new RunStore(clients.dynamo, config.ledgerTable),
    config,
  };
}

let cached: (EncryptDeps & { runs: RunStore }) | undefined;
export const handler = middy(createEncryptHandler(() => (cached ??= defaultDeps()))).use(
  injectLambdaContext(logger),
);
