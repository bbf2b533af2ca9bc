import type { S3Client } from '@aws-sdk/client-s3';
import { isNotFound } from '../aws-errors.js';
import { classifyClientSide } from '../envelope/format.js';
import { describeError } from '../errors.js';
import type { ProtectionPolicy } from '../policy.js';
import { listObjectPages } from '../s3/list-objects.js';
import { type ListedVersion, listVersionPages } from '../s3/list-versions.js';
import { bucketKeepsVersions } from '../s3/noncurrent-versions.js';
import { headObject } from '../s3/object-head.js';
import { actionOf, countNoncurrent, countObject, type PlanTally, stateOf } from './tally.js';

export interface PlanScope {
  s3: S3Client;
  bucket: string;
  prefix: string;
  policy: ProtectionPolicy;
  useUpdateObjectEncryption: boolean;
  /** HEADs in flight at once. */
  concurrency: number;
}

type Listed = ListedVersion;

/** Every key (and, in a bucket that keeps versions, every version and delete marker) under the prefix. */
async function* listPages(
  s3: S3Client,
  bucket: string,
  prefix: string,
  versioned: boolean,
): AsyncGenerator<Listed[]> {
  if (versioned) {
    yield* listVersionPages(s3, bucket, prefix);
    return;
  }
  for await (const page of listObjectPages(s3, { bucket, prefix })) {
    yield page.objects.map((o) => ({ key: o.key, isLatest: true, isDeleteMarker: false, size: o.size ?? 0 }));
  }
}

async function countOne(scope: PlanScope, tally: PlanTally, item: Listed): Promise<void> {
  const { s3, bucket, policy } = scope;
  if (item.isDeleteMarker) {
    tally.deleteMarkers += 1;
    return;
  }
  try {
    if (!item.isLatest) {
      const head = await headObject(s3, bucket, item.key, { versionId: item.versionId });
      if (!head) return;
      const plaintext =
        !head.serverSideEncryption &&
        !head.sseCustomerAlgorithm &&
        classifyClientSide(head.metadata).kind === 'none';
      countNoncurrent(tally, head.size, plaintext);
      return;
    }
    const head = await headObject(s3, bucket, item.key);
    if (!head) {
      countObject(tally, { state: 'missing', action: 'skip:missing', size: 0 });
      return;
    }
    const state = stateOf(head, policy);
    const action = actionOf(head, state, policy, scope.useUpdateObjectEncryption);
    countObject(tally, {
      state,
      action,
      size: head.size,
      storageClass: head.storageClass,
      kmsKeyArn: head.kmsKeyArn,
    });
  } catch (error) {
    if (!item.isLatest && isNotFound(error)) return;
    tally.headFailures.count += 1;
    tally.headFailures.example ??= `s3://${bucket}/${item.key}: ${describeError(error)}`;
  }
}

/** Lists the scope and HEADs every object (bounded concurrency) into `tally`; returns the keys listed. */
export async function tallyListing(
  scope: PlanScope,
  tally: PlanTally,
): Promise<{ listedKeys: number; versioned: boolean }> {
  const versioned = await bucketKeepsVersions(scope.s3, scope.bucket);
  let listedKeys = 0;
  for await (const page of listPages(scope.s3, scope.bucket, scope.prefix, versioned)) {
    listedKeys += page.length;
    for (let i = 0; i < page.length; i += scope.concurrency) {
      await Promise.all(page.slice(i, i + scope.concurrency).map((item) => countOne(scope, tally, item)));
    }
  }
  return { listedKeys, versioned };
}
