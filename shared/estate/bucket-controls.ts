import {
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorName, httpStatus } from '../aws-errors.js';
import { describeError } from '../errors.js';
import { type UploadEnforcement, uploadEnforcement } from './upload-enforcement.js';
import type { PolicyDocument } from './upload-policy.js';

/** A bucket's default encryption (S3 User Guide, "Setting default server-side encryption behavior"). */
export interface DefaultEncryption {
  /** `AES256`, `aws:kms` or `aws:kms:dsse`. */
  algorithm: string;
  /** As configured: a key id, key ARN or alias, or absent (the AWS managed key aws/s3). */
  kmsKeyId?: string;
  bucketKeyEnabled: boolean;
}

/** The bucket-level controls an estate plan reports; a control S3 would not show is in `unreadable`. */
export interface BucketControls {
  /** Undefined: no default encryption (possible only on endpoints other than AWS, and old buckets). */
  defaultEncryption?: DefaultEncryption;
  versioning: 'enabled' | 'suspended' | 'off';
  objectLock: 'enabled' | 'off';
  uploadPolicy: UploadEnforcement;
  /** Control name -> why it could not be read (access denied, ...). */
  unreadable: Record<string, string>;
}

/** Error names S3 answers when a bucket simply has no such configuration. */
const ABSENT = new Set([
  'ServerSideEncryptionConfigurationNotFoundError',
  'ObjectLockConfigurationNotFoundError',
  'NoSuchBucketPolicy',
]);

/** Runs `read`; the configuration's absence is `undefined`, any other failure is recorded. */
async function readControl<T>(
  unreadable: Record<string, string>,
  name: string,
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (ABSENT.has(errorName(error))) return undefined;
    // A bucket gone between the listing and now fails the whole row (estate-bucket.ts).
    if (errorName(error) === 'NoSuchBucket') throw error;
    unreadable[name] = httpStatus(error) === 403 ? 'access denied' : describeError(error);
    return undefined;
  }
}

/** Reads the bucket's default encryption, versioning, Object Lock and bucket policy, in parallel. */
export async function readBucketControls(s3: S3Client, bucket: string): Promise<BucketControls> {
  const unreadable: Record<string, string> = {};
  const [encryption, versioning, lock, policy] = await Promise.all([
    readControl(unreadable, 'defaultEncryption', () =>
      s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
    ),
    readControl(unreadable, 'versioning', () => s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))),
    readControl(unreadable, 'objectLock', () =>
      s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })),
    ),
    readControl(unreadable, 'bucketPolicy', () => s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))),
  ]);
  const rule = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0];
  const byDefault = rule?.ApplyServerSideEncryptionByDefault;
  return {
    defaultEncryption: byDefault?.SSEAlgorithm
      ? {
          algorithm: byDefault.SSEAlgorithm,
          ...(byDefault.KMSMasterKeyID ? { kmsKeyId: byDefault.KMSMasterKeyID } : {}),
          bucketKeyEnabled: rule?.BucketKeyEnabled === true,
        }
      : undefined,
    versioning:
      versioning?.Status === 'Enabled' ? 'enabled' : versioning?.Status === 'Suspended' ? 'suspended' : 'off',
    objectLock: lock?.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled' ? 'enabled' : 'off',
    uploadPolicy: uploadEnforcement(
      policy?.Policy ? (JSON.parse(policy.Policy) as PolicyDocument) : undefined,
    ),
    unreadable,
  };
}
