import { type S3Client, UpdateObjectEncryptionCommand } from '@aws-sdk/client-s3';
import { errorName, httpStatus } from '../aws-errors.js';
import { type CopyOptions, type CopyResult, copyInPlace } from './copy-in-place.js';
import type { ObjectHead } from './object-head.js';

export interface KmsTarget {
  kmsKeyArn: string;
  bucketKeyEnabled: boolean;
}

/**
 * Puts an object under SSE-KMS with `target.kmsKeyArn`. With `useUpdateObjectEncryption`, S3's
 * UpdateObjectEncryption changes the key without moving data (the ETag and every header stay);
 * endpoints that do not offer it (501/405) fall back to a conditional copy in place.
 */
export async function moveToKmsKey(
  s3: S3Client,
  head: ObjectHead,
  target: KmsTarget,
  options: CopyOptions & { useUpdateObjectEncryption: boolean },
): Promise<CopyResult> {
  const copy = () =>
    copyInPlace(
      s3,
      head,
      {
        serverSideEncryption: 'aws:kms',
        kmsKeyArn: target.kmsKeyArn,
        bucketKeyEnabled: target.bucketKeyEnabled,
      },
      options,
    );
  if (!options.useUpdateObjectEncryption) return copy();
  try {
    await s3.send(
      new UpdateObjectEncryptionCommand({
        Bucket: head.bucket,
        Key: head.key,
        // Pin the version we read; unversioned buckets have none and S3 acts on the current object.
        VersionId: head.versionId,
        ObjectEncryption: {
          SSEKMS: { KMSKeyArn: target.kmsKeyArn, BucketKeyEnabled: target.bucketKeyEnabled },
        },
      }),
    );
    return { etag: head.etag, versionId: head.versionId };
  } catch (error) {
    if (!isNotImplemented(error)) throw error;
    return copy();
  }
}

function isNotImplemented(error: unknown): boolean {
  const name = errorName(error);
  const status = httpStatus(error);
  return name === 'NotImplemented' || name === 'MethodNotAllowed' || status === 501 || status === 405;
}
