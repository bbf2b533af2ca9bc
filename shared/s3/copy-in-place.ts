import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  type ServerSideEncryption,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import {
  abortUpload,
  listUploadedParts,
  type MultipartTracker,
  UploadTakenOverError,
} from './multipart-tracker.js';
import { copySource, type ObjectHead } from './object-head.js';
import { readTagging } from './object-tags.js';
import type { SseCustomerKey } from './sse-c-key.js';

/** The server-side encryption a copy in place applies. */
export interface ServerSideTarget {
  serverSideEncryption: ServerSideEncryption;
  kmsKeyArn?: string;
  /** S3 Bucket Keys cut KMS requests (and cost) by orders of magnitude for SSE-KMS. */
  bucketKeyEnabled?: boolean;
}

export interface CopyResult {
  etag: string;
  versionId?: string;
}

export interface CopyOptions {
  multipartThresholdBytes: number;
  partSizeBytes: number;
  partConcurrency?: number;
  /**
   * New user metadata for the copy (re-wrapping an envelope's data key). The standard headers are
   * then named again, since S3 replaces them together with the metadata.
   */
  replaceMetadata?: Record<string, string>;
  /** The source is SSE-C: S3 reads it with this customer key (copy-source SSE-C parameters). */
  sourceSseCustomerKey?: SseCustomerKey;
  /** Keeps a multipart copy's upload id and progress in the ledger, to resume or abort it. */
  multipart?: MultipartTracker;
}

function encryptionParams(target: ServerSideTarget) {
  return {
    ServerSideEncryption: target.serverSideEncryption,
    SSEKMSKeyId: target.serverSideEncryption === 'AES256' ? undefined : target.kmsKeyArn,
    BucketKeyEnabled: target.serverSideEncryption === 'AES256' ? undefined : target.bucketKeyEnabled,
  };
}

/**
 * Rewrites an object onto itself with new server-side encryption, without the bytes leaving S3.
 * The copy is conditional twice: the source must still have the ETag we read (CopySourceIfMatch)
 * and so must the destination (IfMatch), so a user's newer write is never replaced by our copy of
 * the older bytes. A 412 from S3 means exactly that race; the caller records SUPERSEDED.
 */
export async function copyInPlace(
  s3: S3Client,
  head: ObjectHead,
  target: ServerSideTarget,
  options: CopyOptions,
): Promise<CopyResult> {
  if (head.size > options.multipartThresholdBytes) {
    return multipartCopyInPlace(s3, head, target, options);
  }
  const h = head.headers;
  const out = await s3.send(
    new CopyObjectCommand({
      Bucket: head.bucket,
      Key: head.key,
      CopySource: copySource(head.bucket, head.key, head.versionId),
      CopySourceIfMatch: head.etag,
      IfMatch: head.etag,
      ...options.sourceSseCustomerKey?.copySourceParams(),
      // COPY keeps user metadata, Content-Type and the other standard headers, and the tags.
      ...(options.replaceMetadata
        ? {
            MetadataDirective: 'REPLACE' as const,
            Metadata: options.replaceMetadata,
            ContentType: h.ContentType,
            CacheControl: h.CacheControl,
            ContentDisposition: h.ContentDisposition,
            ContentEncoding: h.ContentEncoding,
            ContentLanguage: h.ContentLanguage,
            Expires: h.Expires,
          }
        : { MetadataDirective: 'COPY' as const }),
      TaggingDirective: 'COPY',
      // Storage class, website redirect and object lock settings are not copied: name them again.
      StorageClass: h.StorageClass,
      WebsiteRedirectLocation: h.WebsiteRedirectLocation,
      ObjectLockMode: h.ObjectLockMode,
      ObjectLockRetainUntilDate: h.ObjectLockRetainUntilDate,
      ObjectLockLegalHoldStatus: h.ObjectLockLegalHoldStatus,
      ...encryptionParams(target),
    }),
  );
  return { etag: out.CopyObjectResult?.ETag ?? '', versionId: out.VersionId };
}

/**
 * CopyObject stops at 5 GiB; above that, UploadPartCopy in ranges. A multipart upload starts
 * empty, so metadata, headers and tags are set explicitly, and CompleteMultipartUpload carries
 * IfMatch so the result lands only if nobody wrote the key meanwhile.
 *
 * With a tracker (docs/architecture.md, "Large objects") the upload id and progress go to the
 * ledger as parts land; an attempt that takes over a crashed one continues its upload when it
 * copies the same source bytes to the same target (ListParts, then the missing ranges), and aborts
 * it otherwise. Every failure aborts the upload, except losing the claim: the new owner has it.
 */
async function multipartCopyInPlace(
  s3: S3Client,
  head: ObjectHead,
  target: ServerSideTarget,
  options: CopyOptions,
): Promise<CopyResult> {
  const tracker = options.multipart;
  const partSize = options.partSizeBytes;
  const leftover = await tracker?.leftover(partSize);
  const kept = leftover?.resumable ? await listUploadedParts(s3, head, leftover.uploadId) : undefined;
  if (leftover && !kept) await abortUpload(s3, head, leftover.uploadId, tracker);
  const uploadId = kept ? leftover!.uploadId : await createUpload(s3, head, target, options);
  // Once the ledger knows the upload, an attempt that takes the claim over owns it.
  let recorded = kept !== undefined;
  try {
    const ranges: Array<{ partNumber: number; first: number; last: number }> = [];
    for (let first = 0, partNumber = 1; first < head.size; first += partSize, partNumber++) {
      ranges.push({ partNumber, first, last: Math.min(first + partSize, head.size) - 1 });
    }
    const parts: Array<{ PartNumber: number; ETag: string }> = [];
    const missing = ranges.filter(({ partNumber, first, last }) => {
      const part = kept?.get(partNumber);
      // A part of the right length is the same range of the same bytes: CopySourceIfMatch pinned it.
      if (part?.size !== last - first + 1) return true;
      parts.push({ PartNumber: partNumber, ETag: part.etag });
      return false;
    });
    const progress = () =>
      tracker?.progress({
        uploadId,
        partSizeBytes: partSize,
        totalBytes: head.size,
        partsDone: parts.length,
        bytesDone: Math.min(head.size, parts.length * partSize),
      });
    await progress();
    recorded = true;
    const concurrency = options.partConcurrency ?? 4;
    for (let i = 0; i < missing.length; i += concurrency) {
      const done = await Promise.all(
        missing.slice(i, i + concurrency).map(async ({ partNumber, first, last }) => {
          const out = await s3.send(
            new UploadPartCopyCommand({
              Bucket: head.bucket,
              Key: head.key,
              UploadId: uploadId,
              PartNumber: partNumber,
              CopySource: copySource(head.bucket, head.key, head.versionId),
              CopySourceIfMatch: head.etag,
              CopySourceRange: `bytes=${first}-${last}`,
              ...options.sourceSseCustomerKey?.copySourceParams(),
            }),
          );
          return { PartNumber: partNumber, ETag: out.CopyPartResult?.ETag ?? '' };
        }),
      );
      parts.push(...done);
      await progress();
    }
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    const out = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: head.bucket,
        Key: head.key,
        UploadId: uploadId,
        IfMatch: head.etag,
        MultipartUpload: { Parts: parts },
      }),
    );
    await tracker?.ended(uploadId, 'completed').catch(() => undefined);
    return { etag: out.ETag ?? '', versionId: out.VersionId };
  } catch (error) {
    // Leave no orphaned parts behind (they are billed until aborted).
    if (!(error instanceof UploadTakenOverError && recorded)) {
      await abortUpload(s3, head, uploadId, tracker).catch(() => undefined);
    }
    throw error;
  }
}

async function createUpload(
  s3: S3Client,
  head: ObjectHead,
  target: ServerSideTarget,
  options: CopyOptions,
): Promise<string> {
  const tagging = await readTagging(s3, head.bucket, head.key, head.versionId);
  const created = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: head.bucket,
      Key: head.key,
      Metadata: options.replaceMetadata ?? head.metadata,
      Tagging: tagging,
      ...head.headers,
      ...encryptionParams(target),
    }),
  );
  return created.UploadId!;
}
