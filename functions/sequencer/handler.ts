import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { logger } from '../../shared/logger.js';
import { deploymentSequencer } from '../../shared/transparency/deployment-log.js';
import { type LeafRequest, LeafRequestSchema } from '../../shared/transparency/leaf-request.js';
import type { LogSequencer } from '../../shared/transparency/log-sequencer.js';

/**
 * The transparency log's sequencer on Lambda (docs/architecture.md, "Transparency log"): one
 * invocation at a time (reserved concurrency 1) takes a batch of committed chunks from its queue
 * and appends them all. A malformed message is reported failed alone (it ends in the dead-letter
 * queue); if appending fails, the handler throws and the whole batch comes back, and the requests
 * already appended are dropped as duplicates the next time.
 */
export function createSequencerHandler(sequencer: () => Pick<LogSequencer, 'sequence'>) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const requests: LeafRequest[] = [];
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const parsed = parseRequest(record.body);
      if (parsed) requests.push(parsed);
      else {
        logger.error('malformed sequencer message', { messageId: record.messageId });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    const result = await sequencer().sequence(requests);
    for (const { request, reason } of result.refused)
      logger.error('transparency log refused a chunk', {
        runId: request.runId,
        chunkId: request.chunkId,
        reason,
      });
    logger.info('sequenced', {
      appended: result.appended,
      alreadyInLog: result.alreadyInLog,
      refused: result.refused.length,
      size: result.size,
    });
    return { batchItemFailures };
  };
}

function parseRequest(body: string): LeafRequest | undefined {
  try {
    const parsed = LeafRequestSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

// One sequencer per execution environment: it remembers the tiles and checkpoint it last wrote.
let built: LogSequencer | undefined;
const sequencer = () => {
  const { clients, config } = handlerRuntime();
  built ??= deploymentSequencer(clients, config);
  return built;
};

export const handler = middy(createSequencerHandler(sequencer)).use(injectLambdaContext(logger));
