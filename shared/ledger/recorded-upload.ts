/**
 * A multipart upload one claim is writing, as its ledger item keeps it (docs/architecture.md,
 * "Large objects"): enough for a later attempt to find it, resume it or abort it, and for an
 * operator to see how far a large object has got.
 */
export interface RecordedUpload {
  uploadId: string;
  /** `copy`: UploadPartCopy (resumable); `envelope`: a GCM stream (aborted, never resumed). */
  kind: 'copy' | 'envelope';
  owner: string;
  /** The run whose job writes it. */
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
