import { describe, expect, it } from 'vitest';
import { serverSideKeyProblem } from '../../../../cli/commands/verify.js';
import type { ObjectHead } from '../../../../shared/s3/object-head.js';

const K = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111';
const OTHER = 'arn:aws:kms:us-east-1:111122223333:key/22222222-2222-2222-2222-222222222222';

const head = (protection: Partial<ObjectHead>): ObjectHead => ({
  bucket: 'b',
  key: 'k',
  etag: '"e"',
  size: 1,
  metadata: {},
  headers: {},
  ...protection,
});

describe('verify --key without --mode: server-side protection must be under that key', () => {
  it('accepts SSE-KMS and DSSE-KMS under the key', () => {
    expect(serverSideKeyProblem(head({ serverSideEncryption: 'aws:kms', kmsKeyArn: K }), K)).toBeUndefined();
    expect(
      serverSideKeyProblem(head({ serverSideEncryption: 'aws:kms:dsse', kmsKeyArn: K }), K),
    ).toBeUndefined();
  });

  it.each([
    [{ serverSideEncryption: 'aws:kms', kmsKeyArn: OTHER }, `aws:kms under ${OTHER}`],
    [{ serverSideEncryption: 'aws:kms:dsse', kmsKeyArn: OTHER }, `aws:kms:dsse under ${OTHER}`],
    [{ serverSideEncryption: 'AES256' }, 'AES256'],
    [{ sseCustomerAlgorithm: 'AES256' }, 'SSE-C'],
    [{}, 'unencrypted'],
  ])('names what protects an object that is not under the key: %j', (protection, what) => {
    expect(serverSideKeyProblem(head(protection), K)).toBe(`not protected under ${K} (${what})`);
  });
});
