import { describe, expect, it } from 'vitest';
import {
  hasKmsLayer,
  layerMoveCopiesData,
  layerUnderSource,
  layerUnderTarget,
  serverSideAfterRewrap,
} from '../../../../shared/rewrap/server-side-layer.js';
import type { ObjectHead } from '../../../../shared/s3/object-head.js';

const A = 'arn:aws:kms:us-east-1:000000000000:key/a';
const B = 'arn:aws:kms:us-east-1:000000000000:key/b';
const C = 'arn:aws:kms:us-east-1:000000000000:key/c';

const head = (serverSideEncryption?: string, kmsKeyArn?: string): ObjectHead =>
  ({
    bucket: 'b',
    key: 'k',
    etag: '"e"',
    size: 1,
    metadata: {},
    headers: {},
    serverSideEncryption,
    kmsKeyArn,
    bucketKeyEnabled: true,
  }) as ObjectHead;

describe('the server-side layer in a re-wrap', () => {
  it('names a key for SSE-KMS and DSSE-KMS only', () => {
    expect(hasKmsLayer(head('aws:kms', A))).toBe(true);
    expect(hasKmsLayer(head('aws:kms:dsse', A))).toBe(true);
    expect(hasKmsLayer(head('AES256'))).toBe(false);
    expect(hasKmsLayer(head())).toBe(false);
    expect(hasKmsLayer(head('aws:kms'))).toBe(false);
  });

  it('is under the source only for a move to another key', () => {
    expect(layerUnderSource(head('aws:kms', A), A, B)).toBe(true);
    expect(layerUnderSource(head('aws:kms:dsse', A), A, B)).toBe(true);
    expect(layerUnderSource(head('aws:kms', C), A, B)).toBe(false);
    expect(layerUnderSource(head('AES256'), A, B)).toBe(false);
    // A rotation keeps the key (KMS rotates its material): nothing moves.
    expect(layerUnderSource(head('aws:kms', A), A, A)).toBe(false);
  });

  it('is under the target only for a move to another key (a rotation proves nothing)', () => {
    expect(layerUnderTarget(head('aws:kms', B), A, B)).toBe(true);
    expect(layerUnderTarget(head('aws:kms:dsse', B), A, B)).toBe(true);
    expect(layerUnderTarget(head('aws:kms', A), A, B)).toBe(false);
    expect(layerUnderTarget(head('aws:kms', A), A, A)).toBe(false);
    expect(layerUnderTarget(head('AES256'), A, B)).toBe(false);
  });

  it('moves the layer to the target with its kind kept, and leaves any other layer as it is', () => {
    expect(serverSideAfterRewrap(head('aws:kms', A), A, B)).toEqual({
      serverSideEncryption: 'aws:kms',
      kmsKeyArn: B,
      bucketKeyEnabled: true,
    });
    expect(serverSideAfterRewrap(head('aws:kms:dsse', A), A, B)).toMatchObject({
      serverSideEncryption: 'aws:kms:dsse',
      kmsKeyArn: B,
    });
    expect(serverSideAfterRewrap(head('aws:kms', C), A, B)).toMatchObject({ kmsKeyArn: C });
    expect(serverSideAfterRewrap(head(), A, B)).toMatchObject({
      serverSideEncryption: 'AES256',
      kmsKeyArn: undefined,
    });
  });

  it('copies data except for SSE-KMS where UpdateObjectEncryption is used (it has no DSSE)', () => {
    expect(layerMoveCopiesData(head('aws:kms', A), true)).toBe(false);
    expect(layerMoveCopiesData(head('aws:kms', A), false)).toBe(true);
    expect(layerMoveCopiesData(head('aws:kms:dsse', A), true)).toBe(true);
  });
});
