import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorName, isNotFound } from '../aws-errors.js';
import { describeError } from '../errors.js';
import type { AuditLocation } from './chunk-log-types.js';

/**
 * The audit bucket (docs/architecture.md, "Audit trail in S3"): chunk logs are evidence, so the
 * bucket is created with Object Lock and a compliance-mode default retention, under which no one,
 * the account's root included, can delete or overwrite a log version until it expires. Object
 * Lock can only be turned on when a bucket is created (and needs versioning, which S3 then
 * enables), so setup creates it so; an existing bucket is used as it is, never reconfigured: on
 * AWS the stack (serverless.yml) owns it and its retention.
 */

export interface AuditBucketOptions {
  /** Compliance-mode default retention in days for a bucket created here; 0: none. */
  retentionDays: number;
}

export interface AuditBucketState {
  bucket: string;
  status: 'created' | 'exists';
  /** Object Lock is on: versions of logs cannot be deleted while a retention holds them. */
  objectLock: boolean;
  /** The default retention (compliance mode) in days, when the bucket has one. */
  retentionDays?: number;
  /** Why there is no Object Lock or no default retention, for the caller to print. */
  reason?: string;
}

/**
 * Creates the audit bucket with Object Lock when it is missing, then gives it a default retention
 * in compliance mode. An endpoint that refuses Object Lock gets a plain versioned bucket instead,
 * and the state says why. Measured on LocalStack 4.10: Object Lock at creation (versioning turned
 * on with it), the default retention, and its enforcement (DeleteObject of a locked version is
 * AccessDenied) all work; an overwrite still succeeds as a new version, as on S3.
 */
export async function ensureAuditBucket(
  s3: S3Client,
  location: AuditLocation,
  options: AuditBucketOptions,
): Promise<AuditBucketState> {
  const bucket = location.bucket;
  if (await bucketExists(s3, bucket)) return { bucket, status: 'exists', ...(await lockState(s3, bucket)) };
  const where = await createConfiguration(s3);
  const status = 'created';
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true, ...where }));
  } catch (error) {
    if (isAlreadyOurs(error)) {
      // Another setup created it a moment ago: use it as it is.
      return { bucket, status: 'exists', ...(await lockState(s3, bucket)) };
    }
    if (!isUnsupported(error)) throw error;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ...where }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    return {
      bucket,
      status,
      objectLock: false,
      reason: `the endpoint refused Object Lock: ${describeError(error)}`,
    };
  }
  if (options.retentionDays === 0) {
    return {
      bucket,
      status,
      objectLock: true,
      reason: 'no default retention (S3SEAL_AUDIT_RETENTION_DAYS=0)',
    };
  }
  try {
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: options.retentionDays } },
        },
      }),
    );
  } catch (error) {
    if (!isUnsupported(error)) throw error;
    return {
      bucket,
      status,
      objectLock: true,
      reason: `the endpoint refused a default retention: ${describeError(error)}`,
    };
  }
  return { bucket, status, objectLock: true, retentionDays: options.retentionDays };
}

async function bucketExists(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if (isNotFound(error) || errorName(error) === 'NoSuchBucket') return false;
    throw error;
  }
}

/** What an existing bucket has: read, never changed. */
async function lockState(s3: S3Client, bucket: string): Promise<Omit<AuditBucketState, 'bucket' | 'status'>> {
  try {
    const out = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    const config = out.ObjectLockConfiguration;
    if (config?.ObjectLockEnabled !== 'Enabled') {
      return { objectLock: false, reason: 'the existing bucket has no Object Lock' };
    }
    const retention = config.Rule?.DefaultRetention;
    const days = retention?.Days ?? (retention?.Years !== undefined ? retention.Years * 365 : undefined);
    return days !== undefined
      ? {
          objectLock: true,
          retentionDays: days,
          ...(retention?.Mode !== 'COMPLIANCE'
            ? { reason: `default retention in ${retention?.Mode} mode` }
            : {}),
        }
      : { objectLock: true, reason: 'the existing bucket has no default retention' };
  } catch (error) {
    if (errorName(error) === 'ObjectLockConfigurationNotFoundError') {
      return { objectLock: false, reason: 'the existing bucket has no Object Lock' };
    }
    return {
      objectLock: false,
      reason: `cannot read its Object Lock configuration: ${describeError(error)}`,
    };
  }
}

/** Outside us-east-1 S3 needs the region named at creation (S3 API, CreateBucket). */
async function createConfiguration(s3: S3Client) {
  const region = await s3.config.region();
  return region && region !== 'us-east-1'
    ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }
    : {};
}

function isAlreadyOurs(error: unknown): boolean {
  return errorName(error) === 'BucketAlreadyOwnedByYou';
}

/** An endpoint without Object Lock answers one of these (emulators and S3-compatible stores). */
function isUnsupported(error: unknown): boolean {
  return [
    'NotImplemented',
    'InvalidRequest',
    'InvalidArgument',
    'MethodNotAllowed',
    'InvalidBucketState',
  ].includes(errorName(error));
}
