import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  assertBucketReachable,
  envelopeOptions,
  otherKmsKeysOption,
  resolvePolicy,
} from '../jobs/start-run.js';
import {
  addQueueNotification,
  allowBucketToSend,
  queueTarget,
  removeQueueNotification,
} from './bucket-notification.js';
import { notificationIdFor, type WatchPolicy, type WatchPolicyStore } from './watch-policy.js';

export interface WatchInput {
  bucket: string;
  prefix: string;
  suffix: string;
  mode: string;
  key?: string;
  /** Envelope mode: the S3EC format new objects get (default v3). */
  format?: string;
  /** sse-kms mode: `rekey` (default) or `leave` uploads under another KMS key. */
  otherKmsKeys?: string;
}

interface WatchDeps {
  s3: S3Client;
  sqs: SQSClient;
  kms: KMSClient;
  policies: WatchPolicyStore;
  eventsQueueUrl: string;
}

/**
 * Keeps a bucket prefix compliant: validates the policy, stores it, lets S3 send to the events
 * queue, and adds our ObjectCreated:* entry to the bucket's notifications (merged, not replaced).
 * The policy is stored before the notification exists, so no event ever arrives without one.
 */
export async function watchBucket(
  deps: WatchDeps,
  input: WatchInput,
  /**
   * Told the resolved policy (the key ARN new objects go under) before anything is stored, and
   * awaited: a failure there (setup reading the bucket's controls) stores and changes nothing.
   */
  beforeStoring: (policy: WatchPolicy) => void | Promise<void> = () => {},
): Promise<WatchPolicy> {
  const { mode, keyArn } = await resolvePolicy(deps.kms, input.mode, input.key);
  const { format } = envelopeOptions(mode, { format: input.format });
  const otherKmsKeys = otherKmsKeysOption(mode, input.otherKmsKeys);
  await assertBucketReachable(deps.s3, input.bucket);
  const policy: WatchPolicy = {
    bucket: input.bucket,
    prefix: input.prefix,
    suffix: input.suffix,
    mode,
    keyArn,
    ...(format ? { format } : {}),
    ...(otherKmsKeys ? { otherKmsKeys } : {}),
    notificationId: notificationIdFor(input.prefix, input.suffix),
    createdAt: new Date().toISOString(),
  };
  await beforeStoring(policy);
  await deps.policies.put(policy);
  const queue = await queueTarget(deps.sqs, deps.eventsQueueUrl);
  await allowBucketToSend(deps.sqs, queue, input.bucket);
  await addQueueNotification(deps.s3, input.bucket, {
    id: policy.notificationId,
    queueArn: queue.arn,
    prefix: input.prefix,
    suffix: input.suffix,
  });
  return policy;
}

/** Removes only our notification entry and policy for that prefix/suffix; returns whether one existed. */
export async function unwatchBucket(
  deps: Pick<WatchDeps, 's3' | 'policies'>,
  input: Pick<WatchInput, 'bucket' | 'prefix' | 'suffix'>,
): Promise<boolean> {
  await assertBucketReachable(deps.s3, input.bucket);
  const id = notificationIdFor(input.prefix, input.suffix);
  const removed = await removeQueueNotification(deps.s3, input.bucket, id);
  // The policy goes last: events already in flight still find it.
  await deps.policies.delete(input.bucket, id);
  return removed;
}
