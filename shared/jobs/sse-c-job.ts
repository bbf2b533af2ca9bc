import type { ObjectHead } from '../s3/object-head.js';
import type { SseCustomerKey } from '../s3/sse-c-key.js';
import type { EncryptJob } from './messages.js';

/** The FAILED reasons of SSE-C migration jobs (run summaries list them under failed). */
export const SSE_C_FAILURE_REASONS = ['sse-c-key-unavailable', 'sse-c-wrong-key'] as const;

/**
 * The customer key a job migrates SSE-C objects with: the worker's key, and only when the job's run
 * names that key's fingerprint. A worker never tries a key the run did not ask for.
 */
export function migrationKeyFor(
  job: Pick<EncryptJob, 'sseCustomerKeyMd5'>,
  workerKey: SseCustomerKey | undefined,
): SseCustomerKey | undefined {
  return job.sseCustomerKeyMd5 && workerKey?.md5 === job.sseCustomerKeyMd5 ? workerKey : undefined;
}

/**
 * Why a migration run cannot move this SSE-C object, as a FAILED reason and detail: the worker
 * lacks the run's key, or S3 refused that key (403, docs/safety.md "SSE-C objects"). Neither is retried:
 * another attempt would meet the same key. Undefined when there is nothing to refuse.
 */
export function sseCustomerKeyProblem(
  job: Pick<EncryptJob, 'sseCustomerKeyMd5'>,
  workerKey: SseCustomerKey | undefined,
  head: ObjectHead,
): { reason: (typeof SSE_C_FAILURE_REASONS)[number]; detail: string } | undefined {
  if (!head.sseCustomerAlgorithm || !job.sseCustomerKeyMd5) return undefined;
  if (!migrationKeyFor(job, workerKey)) {
    const held = workerKey ? `holds the key ${workerKey.md5}` : 'holds no SSE-C key';
    return {
      reason: 'sse-c-key-unavailable',
      detail: `the run migrates with the SSE-C key ${job.sseCustomerKeyMd5}; this worker ${held}`,
    };
  }
  if (head.sseCustomerKeyMatches === false) {
    return {
      reason: 'sse-c-wrong-key',
      detail: `S3 refused the SSE-C key ${job.sseCustomerKeyMd5} for this object (403)`,
    };
  }
  return undefined;
}
