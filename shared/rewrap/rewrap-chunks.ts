import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { z } from 'zod';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import {
  type ChunkIntent,
  chunkIdFor,
  type RewrapChunkSchema,
  splitIntoChunks,
} from '../chunks/chunk-message.js';
import { RetryableError } from '../errors.js';
import { isLargeObject } from '../jobs/large-object-route.js';
import { queueBody } from '../sqs-text.js';

export type RewrapChunkMessage = z.infer<typeof RewrapChunkSchema>;

/** shared/chunks/listing-record.ts `fixMembership`: the intents of an origin, fixed once in S3. */
export type FixMembership = (
  s3: S3Client,
  location: AuditLocation,
  runId: string,
  origin: string,
  intents: ChunkIntent[],
) => Promise<ChunkIntent[]>;

/** What every chunk of a re-wrap run carries. */
export interface RewrapRunFields {
  runId: string;
  bucket: string;
  fromKeyArn: string;
  toKeyArn: string;
  wrappedBefore?: string;
}

export interface RewrapChunkDeps {
  s3: S3Client;
  sqs: SQSClient;
  location: AuditLocation;
  queues: { rewrap: string; large: string };
  /** Objects over this size travel one per chunk on the large-object queue; absent: none do. */
  largeObjectBytes?: number;
  fixMembership: FixMembership;
}

/**
 * Queues one origin's objects of a re-wrap run as `rewrap-chunk` messages (docs/architecture.md,
 * "Chunks"): the membership is fixed first (a redelivered origin finds the stored one and queues
 * the same chunks), then split into chunks of at most 100 intents, chunk `n` with the id
 * chunkIdFor(runId, `<origin>:<n>`); objects too large for one invocation go one per chunk to the
 * large-object queue. Returns the number of objects queued.
 */
export async function queueRewrapChunks(
  deps: RewrapChunkDeps,
  run: RewrapRunFields,
  origin: string,
  intents: ChunkIntent[],
): Promise<number> {
  if (intents.length === 0) return 0;
  const fixed = await deps.fixMembership(deps.s3, deps.location, run.runId, origin, intents);
  const large = (intent: ChunkIntent) =>
    deps.largeObjectBytes !== undefined && isLargeObject(intent.size, deps.largeObjectBytes);
  const groups: Array<{ intents: ChunkIntent[]; large: boolean }> = [
    ...splitIntoChunks(fixed.filter((intent) => !large(intent))).map((chunk) => ({
      intents: chunk,
      large: false,
    })),
    ...fixed.filter(large).map((intent) => ({ intents: [intent], large: true })),
  ];
  const messages = groups.map(({ intents: members, large: isLarge }, n): RewrapChunkMessage => {
    const chunkOrigin = `${origin}:${n}`;
    return {
      type: 'rewrap-chunk',
      runId: run.runId,
      bucket: run.bucket,
      fromKeyArn: run.fromKeyArn,
      toKeyArn: run.toKeyArn,
      ...(run.wrappedBefore ? { wrappedBefore: run.wrappedBefore } : {}),
      chunkId: chunkIdFor(run.runId, chunkOrigin),
      origin: chunkOrigin,
      intents: members,
      ...(isLarge ? { large: true as const } : {}),
    };
  });
  await sendChunkMessages(
    deps.sqs,
    deps.queues.rewrap,
    messages.filter((m) => !m.large),
  );
  await sendChunkMessages(
    deps.sqs,
    deps.queues.large,
    messages.filter((m) => m.large),
  );
  return fixed.length;
}

/** SendMessageBatch takes ten entries of at most 256 KiB together (SQS quotas, "Message quotas"). */
const BATCH_BYTES = 256 * 1024;

async function sendChunkMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: RewrapChunkMessage[],
): Promise<void> {
  let batch: string[] = [];
  let bytes = 0;
  for (const message of messages) {
    const body = queueBody(message);
    const size = Buffer.byteLength(body);
    if (batch.length === 10 || (batch.length > 0 && bytes + size > BATCH_BYTES)) {
      await sendBatch(sqs, queueUrl, batch);
      batch = [];
      bytes = 0;
    }
    batch.push(body);
    bytes += size;
  }
  if (batch.length > 0) await sendBatch(sqs, queueUrl, batch);
}

async function sendBatch(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<void> {
  let pending = bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody }));
  for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
    const failed = new Set((out.Failed ?? []).map((f) => f.Id));
    pending = pending.filter((entry) => failed.has(entry.Id));
  }
  if (pending.length > 0)
    throw new RetryableError(`SQS refused ${pending.length} rewrap chunk(s) after 3 attempts`);
}
