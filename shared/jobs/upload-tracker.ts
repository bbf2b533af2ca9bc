import type { ChunkRef } from '../chunks/chunk-store.js';
import type { UploadLedger } from '../chunks/chunk-uploads.js';
import type { RecordedUpload, UploadedObject, UploadProgressListener } from '../chunks/recorded-upload.js';
import {
  type LeftoverUpload,
  type MultipartProgress,
  type MultipartTracker,
  UploadTakenOverError,
} from '../s3/multipart-tracker.js';

/** The chunk claim a multipart write runs under, and the object it writes. */
export interface UploadClaim {
  /** The chunk the large object travels in: its item keeps the upload (chunk-uploads.ts). */
  ref: ChunkRef;
  owner: string;
  leaseSeconds: number;
  object: UploadedObject;
  sourceEtag: string;
  sourceVersionId?: string;
  kind: RecordedUpload['kind'];
  /** Mode and key of what is written: an upload is resumed only towards the same target. */
  target: string;
}

/** Records at most this often while parts land (the first record and the last always go). */
const RECORD_EVERY_MS = 5000;

/**
 * A {@link MultipartTracker} over the chunk item of one claim (docs/architecture.md, "Large
 * objects"). Each record renews the chunk's lease, so an upload longer than a lease keeps its chunk
 * as long as it makes progress, and a worker that died stops renewing it: its upload is then taken
 * over with the chunk.
 */
export function uploadTracker(
  uploads: UploadLedger,
  claim: UploadClaim,
  options: { now?: () => Date; onProgress?: UploadProgressListener } = {},
): MultipartTracker {
  const now = options.now ?? (() => new Date());
  let startedAt: string | undefined;
  let lastRecordMs = 0;
  return {
    async leftover(partSizeBytes: number): Promise<LeftoverUpload | undefined> {
      const recorded = await uploads.recorded({ ...claim.ref, key: claim.object.key });
      if (!recorded) return undefined;
      const resumable =
        claim.kind === 'copy' &&
        recorded.kind === 'copy' &&
        recorded.sourceEtag === claim.sourceEtag &&
        recorded.sourceVersionId === claim.sourceVersionId &&
        recorded.target === claim.target &&
        recorded.partSizeBytes === partSizeBytes;
      return { uploadId: recorded.uploadId, resumable };
    },
    async progress(progress: MultipartProgress): Promise<void> {
      const at = now();
      const first = startedAt === undefined;
      const last = progress.bytesDone >= progress.totalBytes;
      if (!first && !last && at.getTime() - lastRecordMs < RECORD_EVERY_MS) return;
      startedAt ??= at.toISOString();
      lastRecordMs = at.getTime();
      const upload: RecordedUpload = {
        ...progress,
        kind: claim.kind,
        owner: claim.owner,
        runId: claim.ref.runId,
        sourceEtag: claim.sourceEtag,
        ...(claim.sourceVersionId ? { sourceVersionId: claim.sourceVersionId } : {}),
        target: claim.target,
        startedAt,
        updatedAt: at.toISOString(),
      };
      if (!(await uploads.record({ ...claim.ref, key: claim.object.key }, upload, claim.leaseSeconds, at))) {
        throw new UploadTakenOverError(`claim of upload ${progress.uploadId} was taken over`, {
          context: { bucket: claim.object.bucket, key: claim.object.key },
        });
      }
      options.onProgress?.(claim.object, upload);
    },
    async ended(uploadId, how) {
      // Not closed (the chunk was taken over, or a newer upload is recorded): the attempt holding
      // the chunk owns what is recorded and resumes or aborts it, so there is nothing to do here.
      const { owner, leaseSeconds } = claim;
      await uploads.close(
        { ...claim.ref, key: claim.object.key },
        { owner, uploadId, how, leaseSeconds },
        now(),
      );
    },
  };
}

/**
 * The tracker of one encrypt attempt's multipart write, or undefined without upload state. Envelope
 * writes (a seal, a format upgrade, an SSE-C migration in envelope mode) stream through GCM; every
 * other protection is a server-side copy.
 */
export function encryptUploadTracker(
  deps: {
    uploads?: UploadLedger;
    onUploadProgress?: UploadProgressListener;
    config: { leaseSeconds: number };
  },
  job: {
    ref: ChunkRef;
    object: UploadedObject;
    owner: string;
    head: { etag: string; versionId?: string };
    policy: { mode: string; keyArn?: string };
  },
): MultipartTracker | undefined {
  if (!deps.uploads) return undefined;
  return uploadTracker(
    deps.uploads,
    {
      ref: job.ref,
      object: job.object,
      owner: job.owner,
      leaseSeconds: deps.config.leaseSeconds,
      sourceEtag: job.head.etag,
      sourceVersionId: job.head.versionId,
      kind: job.policy.mode === 'envelope' ? 'envelope' : 'copy',
      target: `${job.policy.mode}:${job.policy.keyArn ?? ''}`,
    },
    { onProgress: deps.onUploadProgress },
  );
}
