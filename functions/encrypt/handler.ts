import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { EncryptChunkSchema } from '../../shared/chunks/chunk-message.js';
import { type EncryptDeps, encryptChunkKind } from '../../shared/jobs/encrypt-object.js';
import { logger } from '../../shared/logger.js';
import { workerSseCustomerKey } from '../../shared/s3/sse-c-key-source.js';
import { chunkDeps } from '../chunk-deps.js';
import { type ChunkHandlerDeps, createChunkHandler } from '../chunk-handler.js';
import { once } from '../lazy.js';

export type EncryptHandlerDeps = EncryptDeps & ChunkHandlerDeps;

/**
 * Builds the encrypt queue consumer over injected dependencies; `handler` below is the one Lambda
 * and the local worker run. Each record is one chunk (claim, objects, log, commit); then the
 * batch's runs that are complete are closed.
 */
export function createEncryptHandler(deps: () => Promise<EncryptHandlerDeps> | EncryptHandlerDeps) {
  return createChunkHandler(
    { name: 'encrypt', doneMessage: () => 'job done', schema: EncryptChunkSchema, kind: encryptChunkKind },
    deps,
  );
}

async function defaultDeps(): Promise<EncryptHandlerDeps> {
  const deps = await chunkDeps('encrypt');
  return { ...deps, sseCustomerKey: await workerSseCustomerKey(deps.config, deps.kms) };
}

export const handler = middy(createEncryptHandler(once(defaultDeps))).use(injectLambdaContext(logger));
