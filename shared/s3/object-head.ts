import {
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { httpStatus, isNotFound } from '../aws-errors.js';
import type { ObjectState } from '../compliance.js';
import { SseCustomerKey } from './sse-c-key.js';

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

/**
 * The head a HEAD's answer, or a GET's response headers, show: a GET returns every header HEAD does
 * that the decision and a rewrite read (S3 API Reference, GetObject, "Response Syntax"), except
 * `x-amz-archive-status`, which only an object a GET cannot read (an archived one) would carry.
 */
export function toObjectHead(
  bucket: string,
  key: string,
  out: HeadObjectCommandOutput | Omit<GetObjectCommandOutput, 'Body'>,
): ObjectHead {
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
    archiveStatus: 'ArchiveStatus' in out ? out.ArchiveStatus : undefined,
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

/**
 * HEADs an object; `undefined` when it no longer exists (deleted, or a delete marker).
 *
 * An SSE-C object answers a HEAD without its customer key with a bare 400 (no body, so the SDK
 * names it `Unknown`). A 400 has other causes too, so it is confirmed with a second HEAD that
 * names a customer key: S3 answers 403 when the key is not the object's and 400 when the object is
 * not SSE-C at all (S3 API Reference, HeadObject, "SSE-C"). With `sseCustomerKey` (a migration
 * key) that HEAD uses it and, when it opens the object, returns the full head; otherwise a random
 * key, which only confirms. Either way the result has `sseCustomerAlgorithm` set, so the decision
 * table sees SSE-C instead of an error to retry. Any other answer rethrows the first error.
 */
export async function headObject(
  s3: S3Client,
  bucket: string,
  key: string,
  options: { sseCustomerKey?: SseCustomerKey; versionId?: string } = {},
): Promise<ObjectHead | undefined> {
  try {
    const out = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId }),
    );
    return toObjectHead(bucket, key, out);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    if (httpStatus(error) !== 400) throw error;
    const confirmed = await headSseCustomerObject(s3, bucket, key, options.sseCustomerKey, options.versionId);
    if (confirmed === 'not-sse-c') throw error;
    return confirmed;
  }
}

async function headSseCustomerObject(
  s3: S3Client,
  bucket: string,
  key: string,
  migrationKey: SseCustomerKey | undefined,
  versionId: string | undefined,
): Promise<ObjectHead | undefined | 'not-sse-c'> {
  const probe = migrationKey ?? SseCustomerKey.random();
  try {
    const out = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId, ...probe.params() }),
    );
    // Only the object's own key yields a 200. A random key never should; if an endpoint answers
    // 200 anyway, that still confirms SSE-C but opens nothing a migration could use.
    return {
      ...toObjectHead(bucket, key, out),
      sseCustomerAlgorithm: 'AES256',
      sseCustomerKeyMatches: migrationKey ? true : undefined,
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    if (httpStatus(error) !== 403) return 'not-sse-c';
    // The object's ETag, size and metadata stay unreadable without its key.
    return {
      bucket,
      key,
      etag: '',
      size: 0,
      metadata: {},
      headers: {},
      sseCustomerAlgorithm: 'AES256',
      sseCustomerKeyMatches: migrationKey ? false : undefined,
    };
  } finally {
    if (!migrationKey) probe.destroy();
  }
}

/** The CopySource value for an object: bucket and URL-encoded key (S3 API, CopyObject). */
export function copySource(bucket: string, key: string, versionId?: string): string {
  const source = `${bucket}/${encodeURIComponent(key)}`;
  return versionId ? `${source}?versionId=${encodeURIComponent(versionId)}` : source;
}
