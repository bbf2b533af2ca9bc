import { GetBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { classifyClientSide } from '../envelope/format.js';
import { listVersionPages } from './list-versions.js';
import { headObject } from './object-head.js';

/** An older version of an object: s3-seal protects current versions and never deletes old ones. */
export interface NoncurrentVersion {
  key: string;
  versionId: string;
  lastModified?: Date;
}

export interface VersionsLeft {
  /** False when the bucket never had versioning: there are no old versions to report. */
  versioned: boolean;
  noncurrent: number;
  /** Old versions that are neither server-side nor client-side encrypted. */
  plaintext: NoncurrentVersion[];
  /** How many noncurrent versions were HEADed (all of them unless a limit stopped the count). */
  checked: number;
}

/** Whether the bucket keeps versions (versioning enabled, or suspended after being enabled). */
export async function bucketKeepsVersions(s3: S3Client, bucket: string): Promise<boolean> {
  const out = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  return out.Status === 'Enabled' || out.Status === 'Suspended';
}

/** Every noncurrent version under a prefix (delete markers aside), with exact keys. */
export async function* noncurrentVersions(
  s3: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<NoncurrentVersion> {
  for await (const page of listVersionPages(s3, bucket, prefix)) {
    for (const version of page) {
      if (version.isLatest || version.isDeleteMarker || !version.versionId) continue;
      yield { key: version.key, versionId: version.versionId, lastModified: version.lastModified };
    }
  }
}

/**
 * The plaintext left behind in a versioned bucket: each noncurrent version is HEADed (by version
 * id) and counted plaintext when it carries neither server-side encryption nor any S3EC metadata.
 */
export async function plaintextVersionsLeft(
  s3: S3Client,
  bucket: string,
  prefix: string,
  options: { concurrency?: number; limit?: number } = {},
): Promise<VersionsLeft> {
  const concurrency = options.concurrency ?? 16;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (!(await bucketKeepsVersions(s3, bucket)))
    return { versioned: false, noncurrent: 0, plaintext: [], checked: 0 };
  const left: VersionsLeft = { versioned: true, noncurrent: 0, plaintext: [], checked: 0 };
  let batch: NoncurrentVersion[] = [];
  const check = async () => {
    const heads = await Promise.all(
      batch.map(async (version) => ({
        version,
        head: await headObject(s3, bucket, version.key, { versionId: version.versionId }),
      })),
    );
    left.checked += heads.length;
    for (const { version, head } of heads) {
      const protectedVersion =
        !head ||
        head.serverSideEncryption !== undefined ||
        head.sseCustomerAlgorithm !== undefined ||
        classifyClientSide(head.metadata).kind !== 'none';
      if (!protectedVersion) left.plaintext.push(version);
    }
    batch = [];
  };
  for await (const version of noncurrentVersions(s3, bucket, prefix)) {
    left.noncurrent++;
    if (left.checked + batch.length >= limit) continue;
    batch.push(version);
    if (batch.length >= concurrency) await check();
  }
  await check();
  return left;
}
