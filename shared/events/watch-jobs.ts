import { createHash } from 'node:crypto';
import type { EncryptJob } from '../jobs/messages.js';
import { MalformedMessageError } from '../jobs/messages.js';
import { matchPolicy, type WatchPolicy } from '../watch/watch-policy.js';
import type { ObjectCreated } from './s3-event.js';

/** Watched buckets count their outcomes in one run per bucket and UTC day. */
export function watchRunId(bucket: string, now: Date): string {
  return `watch-${bucket}-${now.toISOString().slice(0, 10)}`;
}

/**
 * The encrypt job for one ObjectCreated record under the bucket's watch policy. The job id is
 * stable per (day, key, object ETag), so a duplicate event maps to the same job.
 */
export function jobForEvent(event: ObjectCreated, policies: WatchPolicy[], now: Date): EncryptJob {
  const policy = matchPolicy(policies, event.key);
  if (!policy) {
    throw new MalformedMessageError(
      `no watch policy covers s3://${event.bucket}/${event.key} (unknown bucket)`,
    );
  }
  const runId = watchRunId(event.bucket, now);
  return {
    type: 'encrypt',
    runId,
    jobId: createHash('sha256')
      .update(`${runId}\0${event.key}\0${event.eTag ?? event.sequencer ?? ''}`)
      .digest('hex')
      .slice(0, 24),
    bucket: event.bucket,
    key: event.key,
    // The event's size routes a large object to the worker before any HEAD (large-object-route.ts).
    ...(event.size !== undefined ? { size: event.size } : {}),
    mode: policy.mode,
    keyArn: policy.keyArn,
    ...(policy.format ? { format: policy.format } : {}),
    ...(policy.otherKmsKeys ? { otherKmsKeys: policy.otherKmsKeys } : {}),
  };
}
