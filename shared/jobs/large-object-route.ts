import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ProtectMethod } from '../compliance.js';
import type { ObjectRef } from '../ledger/ledger.js';
import type { RecordedUpload, UploadLedger } from '../ledger/upload-state.js';
import type { JobResult } from '../lifecycle/job-result.js';
import type { ObjectHead } from '../s3/object-head.js';
import { queueBody } from '../sqs-text.js';

/**
 * What an object job handler (encrypt, rewrap) does with large objects (docs/architecture.md,
 * "Large objects"): the Lambda handlers `route` them to the large-object queue; only
 * `s3-seal worker`, serving that queue, `serve`s them.
 */
export type LargeObjectRole =
  | { serves: false; thresholdBytes: number; sqs: SQSClient; queueUrl: string }
  | { serves: true };

/** What an object job takes for large objects (docs/architecture.md, "Large objects"). */
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
 * Splits objects at enqueue, where listings, inventory rows and S3 events already tell the size:
 * the large ones go one per chunk to the large-object queue, the rest in chunks to the encrypt
 * (rewrap) queue. Without a threshold nothing is large.
 */
export function splitLargeJobs<T extends { size?: number }>(
  items: T[],
  thresholdBytes: number | undefined,
): { small: T[]; large: T[] } {
  const small: T[] = [];
  const large: T[] = [];
  for (const item of items) {
    if (thresholdBytes !== undefined && isLargeObject(item.size, thresholdBytes)) large.push(item);
    else small.push(item);
  }
  return { small, large };
}

/** UpdateObjectEncryption moves no bytes: its time does not grow with the object's size. */
const MOVES_NO_DATA: ReadonlySet<ProtectMethod> = new Set(['update-encryption']);

/** Whether protecting an object this way moves its bytes (through the function or inside S3). */
export function protectionMovesData(method: ProtectMethod): boolean {
  return !MOVES_NO_DATA.has(method);
}

/** What routing reads of a job message, whichever queue it came from (encrypt or rewrap). */
export interface RoutableJob {
  key: string;
  large?: true;
  size?: number;
  etag?: string;
}

/**
 * An object job handler's hook (encrypt, rewrap): hands a job that belongs on the large-object
 * route to that queue, before any claim or write, and returns the result the handler reports (not
 * counted: the worker that does the job counts it). Without `head` it decides from the message
 * (its marker, or the size the listing saw); with `head` from what S3 shows now, when the planned
 * write moves the object's bytes (`movesData`). Returns undefined when this handler does the job.
 */
export async function routeLargeObject<J extends RoutableJob>(
  job: J,
  role: LargeObjectRole | undefined,
  head?: ObjectHead,
  movesData = true,
): Promise<JobResult | undefined> {
  if (!role || role.serves) return undefined;
  const large = head
    ? movesData && isLargeObject(head.size, role.thresholdBytes)
    : job.large === true || isLargeObject(job.size, role.thresholdBytes);
  if (!large) return undefined;
  const routed: J = { ...job, large: true, ...(head ? { size: head.size, etag: head.etag } : {}) };
  await role.sqs.send(new SendMessageCommand({ QueueUrl: role.queueUrl, MessageBody: queueBody(routed) }));
  return { outcome: 'duplicate', detail: 'handed to the large-object queue' };
}
