import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { classifyAwsError } from '../aws-errors.js';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import type { ChunkIntent } from '../chunks/chunk-message.js';
import { fixMembership } from '../chunks/listing-record.js';
import type { Config } from '../config.js';
import type { QueueUrls } from '../queues.js';
import type { RunStore } from '../runs/run-store.js';
import { type ListedObject, listObjectsPage } from '../s3/list-objects.js';
import { queueBody } from '../sqs-text.js';
import { chainIdOf } from './chain-plan.js';
import { instructionSiblings } from './instruction-siblings.js';
import type { ScanMessage } from './messages.js';
import { chunksOfPage, sendEncryptChunks } from './queue-chunks.js';

export { sendInBatches } from './send-batches.js';

export interface ScanDeps {
  s3: S3Client;
  sqs: SQSClient;
  runs: RunStore;
  queues: QueueUrls;
  /** Where pages' listing records go (docs/architecture.md, "Chunks"). */
  auditLocation: AuditLocation;
  config: Pick<Config, 'scanPageSize'> & Partial<Pick<Config, 'largeObjectBytes'>>;
}

export interface ScanResult {
  /** Objects queued in chunks (not chunks). */
  enqueued: number;
  hasNextPage: boolean;
  duplicate: boolean;
}

/** Stable per (run, object): every chunk that names the object in a run gives it this job id. */
export function jobIdFor(runId: string, bucket: string, key: string): string {
  return createHash('sha256').update(`${runId}\0${bucket}\0${key}`).digest('hex').slice(0, 24);
}

/**
 * Lists one page of a run's only chain (runs started before listing chains), queues its objects in
 * chunks and then the next page, so a scan of any size is a chain of short, resumable invocations
 * (docs/architecture.md, "Flow"). A page is counted once: a redelivery after the page finished
 * does nothing, one before it finished queues the same chunks again (its listing record fixed
 * their membership), which the chunk ledger makes harmless.
 */
export async function scanPage(message: ScanMessage, deps: ScanDeps): Promise<ScanResult> {
  if (await deps.runs.isPageDone(message.runId, message.page)) {
    return { enqueued: 0, hasNextPage: false, duplicate: true };
  }
  const page = await listObjectsPage(deps.s3, {
    bucket: message.bucket,
    prefix: message.prefix,
    maxKeys: deps.config.scanPageSize,
    continuationToken: message.continuationToken,
  }).catch((error) => {
    throw classifyAwsError(error, `listing s3://${message.bucket}/${message.prefix} failed`, {
      bucket: message.bucket,
      runId: message.runId,
    });
  });

  const enqueued = await queueListedPage(
    message,
    chainIdOf(message.prefix),
    { objects: page.objects, listingEnds: page.nextContinuationToken === undefined },
    deps,
  );

  const hasNextPage = page.nextContinuationToken !== undefined;
  if (hasNextPage) {
    const next: ScanMessage = {
      ...message,
      page: message.page + 1,
      continuationToken: page.nextContinuationToken,
    };
    await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.queues.scan, MessageBody: queueBody(next) }));
  }
  await deps.runs.recordPage(message.runId, message.page, enqueued, !hasNextPage);
  return { enqueued, hasNextPage, duplicate: false };
}

/**
 * Queues a listing page's objects (docs/architecture.md, "Chunks"): fixes the page's
 * membership (`listing:<chain>:<page>`) before any chunk is queued, then sends its chunks. Returns
 * how many objects the fixed membership holds: the page's `discovered`.
 */
export async function queueListedPage(
  message: ScanMessage,
  chainId: string,
  page: { objects: ListedObject[]; listingEnds: boolean },
  deps: Pick<ScanDeps, 's3' | 'sqs' | 'queues' | 'config' | 'auditLocation'>,
): Promise<number> {
  const origin = `listing:${chainId}:${message.page}`;
  // Envelope mode skips objects with an S3EC instruction file: the page often says which have one.
  const siblings =
    message.mode === 'envelope'
      ? instructionSiblings(
          page.objects.map((o) => o.key),
          page.listingEnds,
        )
      : undefined;
  const listed = page.objects.map((object) => intentOf(object, siblings?.get(object.key)));
  const intents = await fixMembership(deps.s3, deps.auditLocation, message.runId, origin, listed);
  const chunks = chunksOfPage(message.runId, origin, intents, deps.config.largeObjectBytes);
  await sendEncryptChunks(message, chunks, deps);
  return intents.length;
}

function intentOf(object: ListedObject, instructionFile: boolean | undefined): ChunkIntent {
  return {
    key: object.key,
    ...(object.etag !== undefined ? { etag: object.etag } : {}),
    ...(object.size !== undefined ? { size: object.size } : {}),
    ...(instructionFile !== undefined ? { instructionFile } : {}),
  };
}
