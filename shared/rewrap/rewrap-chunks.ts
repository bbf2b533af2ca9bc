import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import type { ChunkIntent } from '../chunks/chunk-message.js';
import { chunksOfPage, type RewrapRunFields, sendRewrapChunks } from '../jobs/queue-chunks.js';
import type { QueueUrls } from '../queues.js';

/** shared/chunks/listing-record.ts `fixMembership`: the intents of an origin, fixed once in S3. */
export type FixMembership = (
  s3: S3Client,
  location: AuditLocation,
  runId: string,
  origin: string,
  intents: ChunkIntent[],
) => Promise<ChunkIntent[]>;

export interface RewrapChunkDeps {
  s3: S3Client;
  sqs: SQSClient;
  location: AuditLocation;
  queues: Pick<QueueUrls, 'encrypt' | 'rewrap' | 'large'>;
  /** Objects over this size travel one per chunk on the large-object queue; absent: none do. */
  largeObjectBytes?: number;
  fixMembership: FixMembership;
}

/**
 * Queues one origin's objects of a re-wrap run (a manifest page's bucket, a `--scan` listing page)
 * as `rewrap-chunk` messages (docs/architecture.md, "Chunks"): the membership is fixed first, so a
 * redelivered origin finds the stored one and queues the same chunks (queue-chunks.ts
 * chunksOfPage: at most 100 intents a chunk, chunk `n` from `<origin>:<n>`, large objects one per
 * chunk on the large-object queue). Returns the number of objects queued.
 */
export async function queueRewrapChunks(
  deps: RewrapChunkDeps,
  run: RewrapRunFields,
  origin: string,
  intents: ChunkIntent[],
): Promise<number> {
  if (intents.length === 0) return 0;
  const fixed = await deps.fixMembership(deps.s3, deps.location, run.runId, origin, intents);
  await sendRewrapChunks(run, chunksOfPage(run.runId, origin, fixed, deps.largeObjectBytes), deps);
  return fixed.length;
}
