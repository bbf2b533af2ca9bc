/**
 * A multipart upload one chunk attempt is writing, as its chunk item keeps it (docs/architecture.md,
 * "Large objects"): enough for a later attempt to find it, resume it or abort it, and for an
 * operator to see how far a large object has got. A large object travels alone in its chunk, so a
 * chunk item holds at most one upload.
 */
export interface RecordedUpload {
  uploadId: string;
  /** `copy`: UploadPartCopy (resumable); `envelope`: a GCM stream (aborted, never resumed). */
  kind: 'copy' | 'envelope';
  owner: string;
  /** The run whose chunk writes it. */
  runId?: string;
  sourceEtag: string;
  sourceVersionId?: string;
  /** What the upload writes (mode and key): a take-over resumes only an upload of the same target. */
  target: string;
  partSizeBytes: number;
  totalBytes: number;
  partsDone: number;
  bytesDone: number;
  startedAt: string;
  updatedAt: string;
}

/** The object an upload writes: progress reports and errors name it. */
export interface UploadedObject {
  bucket: string;
  key: string;
}

/** Told each recorded step of an upload (the worker reports large objects' progress per run). */
export type UploadProgressListener = (object: UploadedObject, upload: RecordedUpload) => void;
