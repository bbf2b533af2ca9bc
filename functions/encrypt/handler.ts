import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { type EncryptDeps, encryptObject } from '../../shared/jobs/encrypt-object.js';
import { EncryptJobSchema } from '../../shared/jobs/messages.js';
import { logger } from '../../shared/logger.js';
import { workerSseCustomerKey } from '../../shared/s3/sse-c-key-source.js';
import { once } from '../lazy.js';
import { objectJobDeps } from '../object-job-deps.js';
import { createObjectJobHandler, type ObjectJobHandlerDeps } from '../object-job-handler.js';

export type EncryptHandlerDeps = EncryptDeps & ObjectJobHandlerDeps;

/**
 * Builds the encrypt queue consumer over injected dependencies; `handler` below is the one Lambda
 * and the local worker run. Each record: validate, encrypt one object (its audit append counts it);
 * then close the batch's runs that are complete.
 */
export function createEncryptHandler(deps: () => Promise<EncryptHandlerDeps> | EncryptHandlerDeps) {
  return createObjectJobHandler(
    {
      name: 'encrypt',
      doneMessage: 'job done',
      schema: EncryptJobSchema,
      run: encryptObject,
      sizeOf: (job) => job.size,
    },
    deps,
  );
}

async function defaultDeps(): Promise<EncryptHandlerDeps> {
  const deps = await objectJobDeps('encrypt');
  return { ...deps, sseCustomerKey: await workerSseCustomerKey(deps.config, deps.kms) };
}

export const handler = middy(createEncryptHandler(once(defaultDeps))).use(injectLambdaContext(logger));
