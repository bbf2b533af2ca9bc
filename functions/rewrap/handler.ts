import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { RewrapChunkSchema } from '../../shared/chunks/chunk-message.js';
import { logger } from '../../shared/logger.js';
import { type RewrapDeps, rewrapChunkKind } from '../../shared/rewrap/rewrap-object.js';
import { chunkDeps } from '../chunk-deps.js';
import { type ChunkHandlerDeps, createChunkHandler } from '../chunk-handler.js';
import { once } from '../lazy.js';

export type RewrapHandlerDeps = RewrapDeps & ChunkHandlerDeps;

/**
 * Builds the rewrap queue consumer over injected dependencies: each record is one chunk of
 * re-wraps (claim, objects, log, commit); then the batch's runs that are complete are closed.
 */
export function createRewrapHandler(deps: () => Promise<RewrapHandlerDeps> | RewrapHandlerDeps) {
  return createChunkHandler(
    { name: 'rewrap', doneMessage: () => 'rewrap done', schema: RewrapChunkSchema, kind: rewrapChunkKind },
    deps,
  );
}

export const handler = middy(createRewrapHandler(once(() => chunkDeps('rewrap')))).use(
  injectLambdaContext(logger),
);
