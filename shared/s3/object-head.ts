import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { isNotFound } from '../aws-errors.js';
import type { ObjectState } from '../compliance.js';

/** The standard headers and settings a rewrite must carry over (DESIGN.md, "Never lose data"). */
export interface PreservedHeaders {
  ContentType?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
  Expires?: Date;
  WebsiteRedirectLocation?: string;
  StorageClass?: HeadObjectCommandOutput['StorageClass'];
  ObjectLockMode?: HeadObjectCommandOutput['ObjectLockMode'];
  ObjectLockRetainUntilDate?: Date;
  ObjectLockLegalHoldStatus?: HeadObjectCommandOutput['ObjectLockLegalHoldStatus'];
}

/** One HEAD of an object: what the compliance decision reads, plus what a rewrite preserves. */
export interface ObjectHead extends ObjectState {
  bucket: string;
  etag: string;
  size: number;
  versionId?: string;
  lastModified?: Date;
  bucketKeyEnabled?: boolean;
  headers: PreservedHeaders;
}

export function toObjectHead(bucket: string, key: string, out: HeadObjectCommandOutput): ObjectHead {
  return {
    bucket,
    key,
    etag: out.ETag ?? '',
    size: out.ContentLength ?? 0,
    versionId: out.VersionId === 'null' ? undefined : out.VersionId,
    lastModified: out.LastModified,
    serverSideEncryption: out.ServerSideEncryption,
    kmsKeyArn: out.SSEKMSKeyId,
    bucketKeyEnabled: out.BucketKeyEnabled,
    sseCustomerAlgorithm: out.SSECustomerAlgorithm,
    storageClass: out.StorageClass,
    archiveStatus: out.ArchiveStatus,
    metadata: out.Metadata ?? {},
    headers: {
      ContentType: out.ContentType,
      CacheControl: out.CacheControl,
      ContentDisposition: out.ContentDisposition,
      ContentEncoding: out.ContentEncoding,
      ContentLanguage: out.ContentLanguage,
      Expires: out.Expires,
      WebsiteRedirectLocation: out.WebsiteRedirectLocation,
      // STANDARD is the default and HEAD omits it; any other class must be named again on a rewrite.
      StorageClass: out.StorageClass,
      ObjectLockMode: out.ObjectLockMode,
      ObjectLockRetainUntilDate: out.ObjectLockRetainUntilDate,
      ObjectLockLegalHoldStatus: out.ObjectLockLegalHoldStatus,
    },
  };
}

/** HEADs an object; `undefined` when it no longer exists (deleted, or a delete marker). */
export async function headObject(s3: S3Client, bucket: string, key: string): Promise<ObjectHead | undefined> {
  try {
    const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return toObjectHead(bucket, key, out);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The CopySource value for an object: bucket and URL-encoded key (S3 API, CopyObject). */
export function copySource(bucket: string, key: string, versionId?: string): string {
  const source = `${bucket}/${encodeURIComponent(key)}`;
  return versionId ? `${source}?versionId=${encodeURIComponent(versionId)}` : source;
}
