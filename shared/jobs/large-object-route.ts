import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ProtectMethod } from '../compliance.js';
import type { ObjectRef } from '../ledger/ledger.js';
import type { RecordedUpload, UploadLedger } from '../ledger/upload-state.js';
import type { ObjectHead } from '../s3/object-head.js';
import { queueBody } from '../sqs-text.js';
import type { JobResult } from './encrypt-object.js';
import type { EncryptJob } from './messages.js';

/**
 * What an encrypt handler does with large objects (docs/architecture.md, "Large objects"):
 * the Lambda handlers `route` them to the large-object queue; only `s3-seal worker`, serving that
 * queue, `serve`s them.
 */
export type LargeObjectRole =
  | { serves: false; thresholdBytes: number; sqs: SQSClient; queueUrl: string }
  | { serves: true };

/** What the encrypt job takes for large objects (docs/architecture.md, "Large objects"). */
export interface LargeObjectDeps {
  /** Lambda handlers route large objects to the large-object queue; its worker serves them. */
  largeObjects?: LargeObjectRole;
  /** Multipart uploads' ids and progress on the claim's ledger item (resumed or aborted later). */
  uploads?: UploadLedger;
  onUploadProgress?: (ref: ObjectRef, upload: RecordedUpload) => void;
}

/** The routing role of a handler that is not the large-object queue's worker. */
export function largeObjectRouting(
  config: { largeObjectBytes: number },
  sqs: SQSClient,
  queueUrl: string,
): LargeObjectRole {
  return { serves: false, thresholdBytes: config.largeObjectBytes, sqs, queueUrl };
}

/** Whether an object of `size` bytes is too large for one function invocation. Unknown: not yet. */
export function isLargeObject(size: number | undefined, thresholdBytes: number): boolean {
  return size !== undefined && size > thresholdBytes;
}

/**
 * Splits jobs at enqueue, where listings, inventory rows and S3 events already tell the size: the
 * large ones are marked and go to the large-object queue, the rest to the encrypt queue.
 */
export function splitLargeJobs(
  jobs: EncryptJob[],
  thresholdBytes: number | undefined,
): { small: EncryptJob[]; large: EncryptJob[] } {
  const small: EncryptJob[] = [];
  const large: EncryptJob[] = [];
  for (const job of jobs) {
    if (thresholdBytes !== undefined && isLargeObject(job.size, thresholdBytes)) {
      large.push({ ...job, large: true });
    } else small.push(job);
  }
  return { small, large };
}

/** UpdateObjectEncryption moves no bytes: its time does not grow with the object's size. */
const MOVES_NO_DATA: ReadonlySet<ProtectMethod> = new Set(['update-encryption']);

/**
 * The encrypt handler's hook: hands a job that belongs on the large-object route to that queue,
 * before any claim or write, and returns the result the handler reports (not counted: the worker
 * that does the job counts it). Without `head` it decides from the message (its marker, or the size
 * the listing saw); with `head` from what S3 shows now, for a protection that moves the bytes.
 * Returns undefined when this handler does the job itself.
 */
export async function routeLargeObject(
  job: EncryptJob,
  role: LargeObjectRole | undefined,
  head?: ObjectHead,
  method?: ProtectMethod,
): Promise<JobResult | undefined> {
  if (!role || role.serves) return undefined;
  const large = head
    ? isLargeObject(head.size, role.thresholdBytes) && !(method && MOVES_NO_DATA.has(method))
    : job.large === true || isLargeObject(job.size, role.thresholdBytes);
  if (!large) return undefined;
  const routed: EncryptJob = { ...job, large: true, ...(head ? { size: head.size, etag: head.etag } : {}) };
  await role.sqs.send(new SendMessageCommand({ QueueUrl: role.queueUrl, MessageBody: queueBody(routed) }));
  return { outcome: 'duplicate', detail: 'handed to the large-object queue' };
}
