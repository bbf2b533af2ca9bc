/**
 * How long an event's chunk item is kept (docs/architecture.md, "Live enforcement"): long enough
 * that a redelivered event finds it committed and counts nothing twice, short enough that nothing
 * stays per object for good. DynamoDB's TTL deletes it (attribute `expiresAt`); after that its
 * signed leaf in the transparency log is its commit record (docs/audit.md, "Expired event chunks").
 */
export const EVENT_CHUNK_TTL_SECONDS = 24 * 3600;

/** Watched buckets count their outcomes in one run per bucket and UTC day. */
export function watchRunId(bucket: string, now: Date): string {
  return `watch-${bucket}-${now.toISOString().slice(0, 10)}`;
}

// Bucket names are 3-63 lower-case letters, digits, dots and hyphens (S3 "Bucket naming rules").
const WATCH_RUN_ID = /^watch-[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]-\d{4}-\d{2}-\d{2}$/;

/** Whether a run id is a watch run's (`watch-BUCKET-YYYY-MM-DD`): only their chunk items expire. */
export function isWatchRunId(runId: string): boolean {
  return WATCH_RUN_ID.test(runId);
}
