import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { copyInPlace } from '../../../../shared/s3/copy-in-place.js';
import {
  type MultipartProgress,
  type MultipartTracker,
  UploadTakenOverError,
} from '../../../../shared/s3/multipart-tracker.js';
import type { ObjectHead } from '../../../../shared/s3/object-head.js';

const MiB = 1024 * 1024;
const head = {
  bucket: 'b',
  key: 'k',
  etag: '"e1"',
  size: 12 * MiB,
  metadata: {},
  headers: {},
} as unknown as ObjectHead;

/** An S3 that answers a multipart copy, recording the commands it was sent. */
function fakeS3(parts: Array<{ PartNumber: number; ETag: string; Size: number }> = []) {
  const sent: string[] = [];
  const s3 = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push(name === 'UploadPartCopy' ? `UploadPartCopy#${command.input.PartNumber}` : name);
      switch (name) {
        case 'GetObjectTagging':
          return { TagSet: [] };
        case 'CreateMultipartUpload':
          return { UploadId: 'new-upload' };
        case 'ListParts':
          return { Parts: parts, IsTruncated: false };
        case 'UploadPartCopy':
          return { CopyPartResult: { ETag: `"p${command.input.PartNumber}"` } };
        case 'CompleteMultipartUpload':
          return { ETag: '"done"' };
        default:
          return {};
      }
    },
  } as unknown as S3Client;
  return { s3, sent };
}

function fakeTracker(options: { leftover?: { uploadId: string; resumable: boolean }; loseClaimAt?: number }) {
  const records: MultipartProgress[] = [];
  const ended: string[] = [];
  const tracker: MultipartTracker = {
    leftover: async () => options.leftover,
    progress: async (progress) => {
      if (records.length === options.loseClaimAt) throw new UploadTakenOverError('taken over');
      records.push(progress);
    },
    ended: async (uploadId, how) => {
      ended.push(`${uploadId}:${how}`);
    },
  };
  return { tracker, records, ended };
}

const copy = (s3: S3Client, tracker: MultipartTracker) =>
  copyInPlace(
    s3,
    head,
    { serverSideEncryption: 'AES256' },
    { multipartThresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB, multipart: tracker },
  );

describe('a multipart copy in place with a tracker', () => {
  it('resumes a leftover upload of the same copy: only the missing parts are copied', async () => {
    const { s3, sent } = fakeS3([
      { PartNumber: 1, ETag: '"p1"', Size: 5 * MiB },
      { PartNumber: 2, ETag: '"p2"', Size: 5 * MiB },
    ]);
    const { tracker, records, ended } = fakeTracker({ leftover: { uploadId: 'old', resumable: true } });
    await copy(s3, tracker);
    expect(sent.filter((c) => c.startsWith('UploadPartCopy'))).toEqual(['UploadPartCopy#3']);
    expect(sent).not.toContain('CreateMultipartUpload');
    expect(records.at(0)).toMatchObject({ uploadId: 'old', partsDone: 2 });
    expect(records.at(-1)).toMatchObject({ partsDone: 3, bytesDone: 12 * MiB });
    expect(ended).toEqual(['old:completed']);
  });

  it('aborts a leftover it cannot resume, then copies afresh', async () => {
    const { s3, sent } = fakeS3();
    const { tracker, ended } = fakeTracker({ leftover: { uploadId: 'old', resumable: false } });
    await copy(s3, tracker);
    expect(sent.slice(0, 3)).toEqual(['AbortMultipartUpload', 'GetObjectTagging', 'CreateMultipartUpload']);
    expect(ended).toEqual(['old:aborted', 'new-upload:completed']);
  });

  it('aborts its new upload when the claim is lost before the ledger knew it', async () => {
    const { s3, sent } = fakeS3();
    const { tracker } = fakeTracker({ loseClaimAt: 0 });
    await expect(copy(s3, tracker)).rejects.toBeInstanceOf(UploadTakenOverError);
    expect(sent.at(-1)).toBe('AbortMultipartUpload');
  });

  it('leaves a recorded upload to the attempt that took the claim over', async () => {
    const { s3, sent } = fakeS3();
    const { tracker } = fakeTracker({ loseClaimAt: 1 });
    await expect(copy(s3, tracker)).rejects.toBeInstanceOf(UploadTakenOverError);
    expect(sent).not.toContain('AbortMultipartUpload');
    expect(sent).not.toContain('CompleteMultipartUpload');
  });
});
