/**
 * The pipeline's work queues: scan pages, encrypt jobs, S3 object-created events, rewrap jobs, and
 * large-object encrypt jobs, which only `s3-seal worker` serves (docs/large-buckets.md).
 * Each has a dead-letter queue named `<name>-dlq`. A module of its own, free of the SDK, so the
 * CLI can offer the names in `--help` without loading it.
 */
export const QUEUES = ['scan', 'encrypt', 'events', 'rewrap', 'large'] as const;
export type QueueName = (typeof QUEUES)[number];
