/**
 * The pipeline's work queues: scan pages, encrypt jobs, S3 object-created events and rewrap jobs.
 * Each has a dead-letter queue named `<name>-dlq`. A module of its own, free of the SDK, so the
 * CLI can offer the names in `--help` without loading it.
 */
export const QUEUES = ['scan', 'encrypt', 'events', 'rewrap'] as const;
export type QueueName = (typeof QUEUES)[number];
