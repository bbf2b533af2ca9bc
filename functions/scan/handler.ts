import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { parseMessage, ScanMessageSchema } from '../../shared/jobs/messages.js';
import { scanPage } from '../../shared/jobs/scan-page.js';
import { logger } from '../../shared/logger.js';
import { type QueueUrls, resolveQueueUrls } from '../../shared/queues.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { processSqsBatch } from '../sqs-batch.js';

let queues: Promise<QueueUrls> | undefined;

/** Scan queue consumer: one page per message (DESIGN.md, "Flow"). */
async function scanHandler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const { config, clients } = handlerRuntime();
  queues ??= resolveQueueUrls(clients.sqs, config);
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  const { response } = await processSqsBatch(event, context, async (record) => {
    const message = parseMessage(ScanMessageSchema, record.body);
    const result = await scanPage(message, { ...clients, runs, queues: await queues!, config });
    logger.info('scanned page', { runId: message.runId, page: message.page, ...result });
    return result;
  });
  return response;
}

export const handler = middy(scanHandler).use(injectLambdaContext(logger));
