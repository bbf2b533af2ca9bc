import { describe, expect, it } from 'vitest';
import { describeLargeObject } from '../../../../shared/runs/large-object-progress.js';

const MiB = 1024 * 1024;

describe('describeLargeObject', () => {
  it('names the object, its parts, bytes and share done, and the upload', () => {
    expect(
      describeLargeObject({
        bucket: 'media',
        key: 'video/raw.mov',
        uploadId: '2~kX0b1m3Yq9Zr4abcdef',
        partsDone: 412,
        bytesDone: 6592 * MiB,
        totalBytes: 20480 * MiB,
      }),
    ).toBe(
      'large object s3://media/video/raw.mov: 412 parts, 6592.0 of 20480.0 MiB (32%), upload 2~kX0b1m3Yq9Zr4a',
    );
  });

  it('shows an empty object as done', () => {
    expect(
      describeLargeObject({
        bucket: 'b',
        key: 'k',
        uploadId: 'u',
        partsDone: 0,
        bytesDone: 0,
        totalBytes: 0,
      }),
    ).toContain('(100%)');
  });
});
