import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { RewrapJobSchema } from '../../shared/jobs/messages.js';
import { logger } from '../../shared/logger.js';
import { type RewrapDeps, rewrapObject } from '../../shared/rewrap/rewrap-object.js';
import { once } from '../lazy.js';
import { objectJobDeps } from '../object-job-deps.js';
import { createObjectJobHandler, type ObjectJobHandlerDeps } from '../object-job-handler.js';

export type RewrapHandlerDeps = RewrapDeps & ObjectJobHandlerDeps;

/**
 * The rewrap queue consumer: one object's data key re-wrapped per record; an object too large to
 * copy within the function's time budget is handed to the large-object queue (docs/large-buckets.md).
 */
export function createRewrapHandler(deps: () => Promise<RewrapHandlerDeps> | RewrapHandlerDeps) {
  return createObjectJobHandler(
    {
      name: 'rewrap',
      doneMessage: 'rewrap done',
      schema: RewrapJobSchema,
      run: rewrapObject,
      sizeOf: (job) => job.size,
    },
    deps,
  );
}

async function defaultDeps(): Promise<RewrapHandlerDeps> {
  return objectJobDeps('rewrap');
}

export const handler = middy(createRewrapHandler(once(defaultDeps))).use(injectLambdaContext(logger));
