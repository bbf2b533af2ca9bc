import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { UploadLedger } from '../chunks/chunk-uploads.js';
import type { UploadProgressListener } from '../chunks/recorded-upload.js';
import type { ProtectMethod } from '../compliance.js';
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
  /** Multipart uploads' ids and progress on the chunk's item (resumed or aborted later). */
  uploads?: UploadLedger;
  onUploadProgress?: UploadProgressListener;
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

/**
 * An object operation's hook (encrypt, rewrap): hands an object whose HEAD shows it too large for
 * this function, when the planned write moves its bytes, to the large-object queue as a chunk of
 * its own (`message`), before any write; returns the result the chunk reports for it (not
 * recorded here: the worker that does it records and counts it). Undefined: this handler does it.
 */
export async function routeLargeObject(
  role: LargeObjectRole | undefined,
  head: ObjectHead,
  movesData: boolean,
  message: () => object,
): Promise<JobResult | undefined> {
  if (!role || role.serves || !routesLarge(role, head, movesData)) return undefined;
  await role.sqs.send(new SendMessageCommand({ QueueUrl: role.queueUrl, MessageBody: queueBody(message()) }));
  return { outcome: 'duplicate', detail: 'handed to the large-object queue' };
}

/** Whether {@link routeLargeObject} hands this object over (before it sends anything). */
export function routesLarge(
  role: LargeObjectRole | undefined,
  head: ObjectHead,
  movesData: boolean,
): boolean {
  return !!role && !role.serves && movesData && isLargeObject(head.size, role.thresholdBytes);
}

/**
 * A handler's hook for a whole chunk the producer already marked large (or whose one object the
 * listing showed over the limit): forwarded untouched to the large-object queue. True: forwarded.
 */
export async function forwardLargeChunk(
  role: LargeObjectRole | undefined,
  chunk: { large?: true; intents: Array<{ size?: number }> },
): Promise<boolean> {
  if (!role || role.serves) return false;
  const large = chunk.large === true || chunk.intents.some((i) => isLargeObject(i.size, role.thresholdBytes));
  if (!large) return false;
  const forwarded = { ...chunk, large: true };
  await role.sqs.send(new SendMessageCommand({ QueueUrl: role.queueUrl, MessageBody: queueBody(forwarded) }));
  return true;
}
