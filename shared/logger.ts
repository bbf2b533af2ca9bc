import { Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs for every handler and the worker. Log object identities, run and job ids,
 * ETags and key ARNs; never data keys, wrapped keys or object bytes.
 */
export const logger = new Logger({
  serviceName: 's3-seal',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.S3SEAL_LOG_LEVEL ?? 'WARN') as 'WARN',
});

/**
 * Whether info lines are written: per-object lines (functions/chunk-handler.ts) are built only then,
 * as their attributes cost a hash per object that a run at the default level (WARN) never prints.
 */
export function infoEnabled(): boolean {
  return logger.level <= LogLevelThreshold.INFO;
}
