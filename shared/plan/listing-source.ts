import { ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { isNotFound } from '../aws-errors.js';
import { classifyClientSide } from '../envelope/format.js';
import { describeError } from '../errors.js';
import type { ProtectionPolicy } from '../policy.js';
import { decodeFormEncodedKey } from '../s3/key-encoding.js';
import { listObjectsPage } from '../s3/list-objects.js';
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

interface Listed {
  key: string;
  versionId?: string;
  isLatest: boolean;
  isDeleteMarker: boolean;
  size: number;
}

/**
 * Every key (and, in a bucket that keeps versions, every version and delete marker) under the
 * prefix, with exact keys: the listing asks for URL-encoded keys, since an XML parser turns a raw
 * `\r` in a key into `\n` (S3 API, ListObjectsV2, "EncodingType").
 */
async function* listPages(
  s3: S3Client,
  bucket: string,
  prefix: string,
  versioned: boolean,
): AsyncGenerator<Listed[]> {
  let token: string | undefined;
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    if (!versioned) {
      const page = await listObjectsPage(s3, { bucket, prefix, continuationToken: token });
      yield page.objects.map((o) => ({
        key: o.key,
        isLatest: true,
        isDeleteMarker: false,
        size: o.size ?? 0,
      }));
      token = page.nextContinuationToken;
      continue;
    }
    const out = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix || undefined,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
        EncodingType: 'url',
      }),
    );
    const decode = out.EncodingType === 'url' ? decodeFormEncodedKey : (raw: string) => raw;
    const versions = (out.Versions ?? []).map((v) => ({
      key: decode(v.Key!),
      versionId: v.VersionId,
      isLatest: v.IsLatest === true,
      isDeleteMarker: false,
      size: v.Size ?? 0,
    }));
    const markers = (out.DeleteMarkers ?? []).map((m) => ({
      key: decode(m.Key!),
      versionId: m.VersionId,
      isLatest: m.IsLatest === true,
      isDeleteMarker: true,
      size: 0,
    }));
    yield [...versions, ...markers];
    // The markers go back as S3 sent them: its own encoding of where the page ended.
    keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
    versionIdMarker = out.IsTruncated ? out.NextVersionIdMarker : undefined;
    token = keyMarker;
  } while (token);
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
    countObject(tally, { state, action, size: head.size, storageClass: head.storageClass });
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
