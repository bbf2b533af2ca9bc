import {
  AbortMultipartUploadCommand,
  ListPartsCommand,
  type ListPartsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { RetryableError } from '../errors.js';

/** How far a multipart upload of ours has got. */
export interface MultipartProgress {
  uploadId: string;
  partSizeBytes: number;
  totalBytes: number;
  partsDone: number;
  bytesDone: number;
}

/** A multipart upload an earlier attempt of the same job left behind. */
export interface LeftoverUpload {
  uploadId: string;
  /** Same source bytes, same target and part size: its parts can be kept (server-side copies). */
  resumable: boolean;
}

/**
 * Where a multipart write keeps its resumable state (docs/architecture.md, "Large objects"):
 * the ledger item of the claim that writes it. Each call that records also renews the claim, so a
 * long upload that makes progress is never taken over.
 */
export interface MultipartTracker {
  leftover(partSizeBytes: number): Promise<LeftoverUpload | undefined>;
  /** Records the upload and its progress; throws {@link UploadTakenOverError} once the claim is lost. */
  progress(progress: MultipartProgress): Promise<void>;
  /** Forgets an upload that completed or was aborted (no history of ended uploads is kept). */
  ended(uploadId: string, how: 'completed' | 'aborted'): Promise<void>;
}

/**
 * The claim this upload was written under was taken over (no progress for a whole lease): the
 * attempt that holds it now owns the upload too, resumes or aborts it. Never abort it here.
 */
export class UploadTakenOverError extends RetryableError {
  override name = 'UploadTakenOverError';
}

interface UploadTarget {
  bucket: string;
  key: string;
}

/**
 * Aborts one of our multipart uploads, so its parts stop being billed, and notes it. An upload that
 * is already gone (completed, or aborted by a lifecycle rule or an earlier call) counts as aborted.
 */
export async function abortUpload(
  s3: S3Client,
  target: UploadTarget,
  uploadId: string,
  tracker: MultipartTracker | undefined,
): Promise<void> {
  try {
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId }),
    );
  } catch (error) {
    if (!isNoSuchUpload(error)) throw error;
  }
  await tracker?.ended(uploadId, 'aborted');
}

/**
 * The parts an upload already holds (ListParts, every page), by part number; undefined when the
 * upload no longer exists.
 */
export async function listUploadedParts(
  s3: S3Client,
  target: UploadTarget,
  uploadId: string,
): Promise<Map<number, { etag: string; size: number }> | undefined> {
  const parts = new Map<number, { etag: string; size: number }>();
  let marker: string | undefined;
  for (;;) {
    let out: ListPartsCommandOutput;
    try {
      out = await s3.send(
        new ListPartsCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
          PartNumberMarker: marker,
        }),
      );
    } catch (error) {
      if (isNoSuchUpload(error)) return undefined;
      throw error;
    }
    for (const part of out.Parts ?? []) {
      if (part.PartNumber && part.ETag) parts.set(part.PartNumber, { etag: part.ETag, size: part.Size ?? 0 });
    }
    if (!out.IsTruncated || !out.NextPartNumberMarker) return parts;
    marker = out.NextPartNumberMarker;
  }
}

function isNoSuchUpload(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchUpload' || e.Code === 'NoSuchUpload' || e.$metadata?.httpStatusCode === 404;
}
