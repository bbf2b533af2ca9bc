import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { classifyAwsError } from '../aws-errors.js';
import type { Config } from '../config.js';
import { RetryableError } from '../errors.js';
import type { QueueUrls } from '../queues.js';
import type { RunStore } from '../runs/run-store.js';
import { type ListedObject, listObjectsPage } from '../s3/list-objects.js';
import { queueBody } from '../sqs-text.js';
import { splitLargeJobs } from './large-object-route.js';
import type { EncryptJob, RunMessageFields, ScanMessage } from './messages.js';

export interface ScanDeps {
  s3: S3Client;
  sqs: SQSClient;
  runs: RunStore;
  queues: QueueUrls;
  config: Pick<Config, 'scanPageSize'> & Partial<Pick<Config, 'largeObjectBytes'>>;
}

export interface ScanResult {
  enqueued: number;
  hasNextPage: boolean;
  duplicate: boolean;
}

/** Stable per (run, object): a redelivered page produces the same job ids, which the audit dedupes on. */
export function jobIdFor(runId: string, bucket: string, key: string): string {
  return createHash('sha256').update(`${runId}\0${bucket}\0${key}`).digest('hex').slice(0, 24);
}

/**
 * Lists one page of the run's bucket and prefix, enqueues one encrypt job per object and then the
 * next page, so a scan of any size is a chain of short, resumable invocations (DESIGN.md, "Flow").
 * A page is counted once: a redelivery after the page finished does nothing, one before it
 * finished enqueues the same jobs again, which the ledger makes harmless.
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

  const enqueued = await enqueueObjects(message, page.objects, deps);

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

/** Queues one encrypt job per listed object of a listing page; returns how many. */
export async function enqueueObjects(
  message: ScanMessage,
  objects: ListedObject[],
  deps: Pick<ScanDeps, 'sqs' | 'queues' | 'config'>,
): Promise<number> {
  const jobs = objects.map((object) =>
    encryptJobOf(message, object, jobIdFor(message.runId, message.bucket, object.key)),
  );
  await sendEncryptJobs(jobs, deps);
  return jobs.length;
}

/** The encrypt job of one object of a run, with what the listing (or inventory) showed of it. */
export function encryptJobOf(
  run: RunMessageFields,
  object: { key: string; etag?: string; size?: number },
  jobId: string,
): EncryptJob {
  return {
    type: 'encrypt',
    runId: run.runId,
    jobId,
    bucket: run.bucket,
    key: object.key,
    etag: object.etag,
    size: object.size,
    mode: run.mode,
    keyArn: run.keyArn,
    format: run.format,
    upgradeFormat: run.upgradeFormat,
    keepAcl: run.keepAcl,
    ...(run.otherKmsKeys ? { otherKmsKeys: run.otherKmsKeys } : {}),
    sseCustomerKeyMd5: run.sseCustomerKeyMd5,
  };
}

/**
 * Sends encrypt jobs to their queue: objects too large for one Lambda invocation go to the
 * large-object queue (docs/architecture.md, "Large objects").
 */
export async function sendEncryptJobs(
  jobs: EncryptJob[],
  deps: Pick<ScanDeps, 'sqs' | 'queues' | 'config'>,
): Promise<void> {
  const { small, large } = splitLargeJobs(jobs, deps.config.largeObjectBytes);
  await sendInBatches(deps.sqs, deps.queues.encrypt, small);
  await sendInBatches(deps.sqs, deps.queues.large, large);
}

/** SendMessageBatch takes ten entries; a page of 1000 is 100 requests, sent ten at a time. */
export async function sendInBatches(sqs: SQSClient, queueUrl: string, jobs: object[]): Promise<void> {
  const batches: object[][] = [];
  for (let i = 0; i < jobs.length; i += 10) batches.push(jobs.slice(i, i + 10));
  for (let i = 0; i < batches.length; i += 10) {
    await Promise.all(batches.slice(i, i + 10).map((batch) => sendBatch(sqs, queueUrl, batch)));
  }
}

async function sendBatch(sqs: SQSClient, queueUrl: string, batch: object[]): Promise<void> {
  let pending = batch.map((job, i) => ({ Id: String(i), MessageBody: queueBody(job) }));
  for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
    const failed = new Set((out.Failed ?? []).map((f) => f.Id));
    pending = pending.filter((entry) => failed.has(entry.Id));
  }
  if (pending.length > 0) {
    throw new RetryableError(`SQS refused ${pending.length} jobs after 3 attempts`);
  }
}
