import { describe, expect, it } from 'vitest';
import { decideCompliance } from '../../../../shared/compliance.js';
import { type InventoryRow, objectStateOf, toInventoryRow } from '../../../../shared/inventory/row.js';
import { decideRow, type RowRun, unusableRow } from '../../../../shared/inventory/row-decision.js';
import type { ProtectionMode } from '../../../../shared/policy.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111';
const row = (encryptionStatus: string | undefined, extra: Partial<InventoryRow> = {}): InventoryRow => ({
  bucket: 'b',
  key: 'k',
  isLatest: true,
  isDeleteMarker: false,
  etag: 'abc',
  encryptionStatus,
  ...extra,
});
const runOf = (mode: ProtectionMode, sseCustomerKeyMd5?: string): RowRun => ({
  policy: { mode, keyArn: mode === 'sse-s3' ? undefined : KEY },
  sseCustomerKeyMd5,
});

const STATUSES = ['NOT-SSE', 'SSE-S3', 'SSE-KMS', 'DSSE-KMS', 'SSE-C', undefined] as const;
const MODES: ProtectionMode[] = ['sse-s3', 'sse-kms', 'envelope'];

// Every EncryptionStatus (and a report without the column) under every mode, without an SSE-C key.
const EXPECTED: Record<ProtectionMode, Record<string, string>> = {
  'sse-s3': {
    'NOT-SSE': 'job',
    'SSE-S3': 'compliant',
    'SSE-KMS': 'compliant',
    'DSSE-KMS': 'compliant',
    'SSE-C': 'skip',
    none: 'job',
  },
  'sse-kms': {
    'NOT-SSE': 'job',
    'SSE-S3': 'job',
    'SSE-KMS': 'job',
    'DSSE-KMS': 'job',
    'SSE-C': 'skip',
    none: 'job',
  },
  envelope: {
    'NOT-SSE': 'job',
    'SSE-S3': 'job',
    'SSE-KMS': 'job',
    'DSSE-KMS': 'job',
    'SSE-C': 'skip',
    none: 'job',
  },
};

describe('decideRow', () => {
  for (const mode of MODES) {
    for (const status of STATUSES) {
      const expected = EXPECTED[mode][status ?? 'none'];
      it(`${mode}: ${status ?? 'no EncryptionStatus column'} -> ${expected}`, () => {
        expect(decideRow(row(status), runOf(mode)).action).toBe(expected);
      });
    }
  }

  it('agrees with decideCompliance on every row it settles compliant (sse-s3)', () => {
    for (const status of ['SSE-S3', 'SSE-KMS', 'DSSE-KMS']) {
      const decided = decideRow(row(status), runOf('sse-s3'));
      const head = decideCompliance(objectStateOf(row(status)), runOf('sse-s3').policy, {
        useUpdateObjectEncryption: false,
      });
      expect(head.action).toBe('compliant');
      expect(decided).toEqual({
        action: 'compliant',
        reason: head.action === 'compliant' ? head.detail : '',
      });
    }
    expect(decideRow(row('SSE-KMS'), runOf('sse-s3'))).toEqual({
      action: 'compliant',
      reason: 'aws:kms (stronger than SSE-S3)',
    });
  });

  it('skips SSE-C rows under the reason the HEAD path records, unless the run migrates with a key', () => {
    for (const mode of MODES) {
      expect(decideRow(row('SSE-C'), runOf(mode))).toEqual({
        action: 'skip',
        reason: 'sse-c',
        detail: 'encrypted with a customer-provided key (SSE-C)',
      });
      // A migration run: the worker's key and S3's answer decide, after a HEAD.
      expect(decideRow(row('SSE-C'), runOf(mode, 'bWQ1'))).toEqual({ action: 'job' });
    }
  });

  it('leaves archived rows to the HEAD path, whatever their encryption', () => {
    expect(decideRow(row('SSE-S3', { storageClass: 'GLACIER' }), runOf('sse-s3'))).toEqual({ action: 'job' });
    expect(
      decideRow(row('SSE-S3', { intelligentTieringAccessTier: 'ARCHIVE_ACCESS' }), runOf('sse-s3')),
    ).toEqual({ action: 'job' });
    expect(decideRow(row('SSE-S3', { storageClass: 'STANDARD_IA' }), runOf('sse-s3')).action).toBe(
      'compliant',
    );
  });

  it('leaves SSE-KMS rows under the policy key to the HEAD in sse-kms runs (the report may not name the key)', () => {
    expect(decideRow(row('SSE-KMS', { kmsKeyArn: KEY }), runOf('sse-kms'))).toEqual({ action: 'job' });
  });

  it('leaves unknown statuses to the HEAD path', () => {
    expect(decideRow(row('SOMETHING-NEW'), runOf('sse-s3'))).toEqual({ action: 'job' });
  });
});

describe('unusableRow', () => {
  it('is undefined for a row of the run bucket with a decoded key', () => {
    expect(unusableRow(row('NOT-SSE'), 'b')).toBeUndefined();
  });

  it('skips a row naming another bucket, saying which', () => {
    expect(unusableRow(row('NOT-SSE'), 'mine')).toEqual({
      action: 'skip',
      reason: 'other-bucket',
      detail: 'the row names bucket b, not mine',
    });
  });

  it('skips a row whose CSV key is not valid URL encoding', () => {
    const parsed = toInventoryRow({ Bucket: 'b', Key: 'bad%ZZkey%' }, { urlEncodedKeys: true });
    expect(parsed).toMatchObject({
      key: 'bad%ZZkey%',
      keyEncodingError: 'the key "bad%ZZkey%" is not valid URL encoding',
    });
    expect(unusableRow(parsed, 'b')).toEqual({
      action: 'skip',
      reason: 'undecodable-key',
      detail: 'the key "bad%ZZkey%" is not valid URL encoding',
    });
  });
});
