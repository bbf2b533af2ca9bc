import { describe, expect, it } from 'vitest';
import type { ChunkRef } from '../../../../shared/chunks/chunk-store.js';
import type { UploadEnd, UploadLedger } from '../../../../shared/chunks/chunk-uploads.js';
import type { RecordedUpload } from '../../../../shared/chunks/recorded-upload.js';
import { uploadTracker } from '../../../../shared/jobs/upload-tracker.js';
import { UploadTakenOverError } from '../../../../shared/s3/multipart-tracker.js';

const ref: ChunkRef = { runId: 'run-1', chunkId: 'c'.repeat(24) };
const object = { bucket: 'b', key: 'k' };
const uploadRef = { ...ref, key: object.key };

/** An in-memory chunk item's upload state, and who holds the chunk. */
function fakeUploads(holder = 'owner-1') {
  const state = {
    holder,
    upload: undefined as RecordedUpload | undefined,
    closed: [] as string[],
    records: 0,
    refs: [] as ChunkRef[],
  };
  const uploads: UploadLedger = {
    recorded: async () => state.upload,
    record: async (at, upload) => {
      state.refs.push(at);
      if (upload.owner !== state.holder) return false;
      state.records++;
      state.upload = upload;
      return true;
    },
    close: async (_ref, { owner, uploadId, how, leaseSeconds }: UploadEnd) => {
      state.closed.push(`${owner}:${uploadId}:${how}:${leaseSeconds}`);
      if (owner !== state.holder || state.upload?.uploadId !== uploadId) return false;
      state.upload = undefined;
      return true;
    },
  };
  return { state, uploads };
}

const claim = (kind: 'copy' | 'envelope', overrides = {}) => ({
  ref,
  object,
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
    expect(state.upload).toMatchObject({
      uploadId: 'u1',
      kind: 'copy',
      bytesDone: 100,
      sourceEtag: '"e1"',
      runId: 'run-1',
    });
    expect(state.refs).toEqual([uploadRef, uploadRef, uploadRef]);
    expect(state.upload?.startedAt).toBe(new Date(0).toISOString());
  });

  it('throws UploadTakenOverError, naming the object, once another attempt holds the chunk', async () => {
    const { uploads } = fakeUploads('owner-2');
    const seen: string[] = [];
    const tracker = uploadTracker(uploads, claim('copy'), { onProgress: (o) => seen.push(o.key) });
    const error = await tracker.progress(progress(10)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadTakenOverError);
    expect((error as UploadTakenOverError).context).toMatchObject(object);
    expect(seen).toEqual([]);
  });

  it('tells the progress listener the object and what was recorded', async () => {
    const { uploads } = fakeUploads();
    const seen: Array<[string, number]> = [];
    const tracker = uploadTracker(uploads, claim('copy'), {
      onProgress: (o, upload) => seen.push([`${o.bucket}/${o.key}`, upload.bytesDone]),
    });
    await tracker.progress(progress(10));
    expect(seen).toEqual([['b/k', 10]]);
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
    expect(state.closed).toEqual(['owner-1:u1:aborted:900']);
    expect(await tracker.leftover(10)).toBeUndefined();
  });
});

describe('uploadTracker.ended', () => {
  it('does not throw when the chunk was taken over: the new holder owns the recorded upload', async () => {
    const { state, uploads } = fakeUploads();
    const tracker = uploadTracker(uploads, claim('copy'));
    await tracker.progress(progress(10));
    state.holder = 'owner-2';
    await tracker.ended('u1', 'completed');
    expect(state.upload?.uploadId).toBe('u1');
  });
});
