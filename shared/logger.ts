import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs for every handler and the worker. Log object identities, run and job ids,
 * ETags and key ARNs; never data keys, wrapped keys or object bytes.
 */
export const logger = new Logger({
  serviceName: 's3-seal',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.S3SEAL_LOG_LEVEL ?? 'WARN') as 'WARN',
});
