import { describe, expect, it } from 'vitest';
import { uploadTracker } from '../../../../shared/jobs/upload-tracker.js';
import type { ObjectRef } from '../../../../shared/ledger/ledger.js';
import type { RecordedUpload, UploadLedger } from '../../../../shared/ledger/upload-state.js';
import { UploadTakenOverError } from '../../../../shared/s3/multipart-tracker.js';

const ref: ObjectRef = { bucket: 'b', key: 'k', operation: 'encrypt' };

/** An in-memory ledger of one item's upload state, and of who holds the claim. */
function fakeUploads(holder = 'owner-1') {
  const state = {
    holder,
    upload: undefined as RecordedUpload | undefined,
    closed: [] as string[],
    records: 0,
  };
  const uploads: UploadLedger = {
    recorded: async () => state.upload,
    record: async (_ref, upload) => {
      if (upload.owner !== state.holder) return false;
      state.records++;
      state.upload = upload;
      return true;
    },
    close: async (_ref, uploadId, how) => {
      state.closed.push(`${uploadId}:${how}`);
      if (state.upload?.uploadId === uploadId) state.upload = undefined;
    },
  };
  return { state, uploads };
}

const claim = (kind: 'copy' | 'envelope', overrides = {}) => ({
  ref,
  owner: 'owner-1',
  leaseSeconds: 900,
  sourceEtag: '"e1"',
  kind,
  target: 'sse-kms:arn:aws:kms:k',
  ...overrides,
});

const progress = (bytesDone: number) => ({
  uploadId: 'u1',
  partSizeBytes: 10,
  totalBytes: 100,
  partsDone: bytesDone / 10,
  bytesDone,
});

describe('uploadTracker', () => {
  it('records the first step, then at most every few seconds, and always the last', async () => {
    let now = 0;
    const { state, uploads } = fakeUploads();
    const tracker = uploadTracker(uploads, claim('copy'), { now: () => new Date(now) });
    await tracker.progress(progress(10));
    await tracker.progress(progress(20));
    now = 6000;
    await tracker.progress(progress(30));
    await tracker.progress(progress(100));
    expect(state.records).toBe(3);
    expect(state.upload).toMatchObject({ uploadId: 'u1', kind: 'copy', bytesDone: 100, sourceEtag: '"e1"' });
    expect(state.upload?.startedAt).toBe(new Date(0).toISOString());
  });

  it('throws UploadTakenOverError once another attempt holds the claim', async () => {
    const { uploads } = fakeUploads('owner-2');
    await expect(uploadTracker(uploads, claim('copy')).progress(progress(10))).rejects.toBeInstanceOf(
      UploadTakenOverError,
    );
  });

  it('resumes only a copy of the same source bytes, target and part size', async () => {
    const { state, uploads } = fakeUploads();
    await uploadTracker(uploads, claim('copy')).progress(progress(10));
    state.holder = 'owner-2';
    const later = (overrides = {}) =>
      uploadTracker(uploads, claim('copy', { owner: 'owner-2', ...overrides }));
    expect(await later().leftover(10)).toEqual({ uploadId: 'u1', resumable: true });
    expect(await later().leftover(20)).toEqual({ uploadId: 'u1', resumable: false });
    expect(await later({ sourceEtag: '"e9"' }).leftover(10)).toMatchObject({ resumable: false });
    expect(await later({ target: 'sse-s3:' }).leftover(10)).toMatchObject({ resumable: false });
    expect(await later({ sourceVersionId: 'v2' }).leftover(10)).toMatchObject({ resumable: false });
  });

  it('never resumes an envelope upload: a GCM stream cannot continue', async () => {
    const { state, uploads } = fakeUploads();
    await uploadTracker(uploads, claim('envelope')).progress(progress(10));
    state.holder = 'owner-2';
    const later = uploadTracker(uploads, claim('envelope', { owner: 'owner-2' }));
    expect(await later.leftover(10)).toEqual({ uploadId: 'u1', resumable: false });
  });

  it('has no leftover when nothing was recorded, and forgets an ended upload', async () => {
    const { state, uploads } = fakeUploads();
    const tracker = uploadTracker(uploads, claim('copy'));
    expect(await tracker.leftover(10)).toBeUndefined();
    await tracker.progress(progress(10));
    await tracker.ended('u1', 'aborted');
    expect(state.closed).toEqual(['u1:aborted']);
    expect(await tracker.leftover(10)).toBeUndefined();
  });
});
