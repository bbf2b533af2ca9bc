import { describe, expect, it } from 'vitest';
import {
  type ComplianceDecision,
  decideCompliance,
  isCompliant,
  type ObjectState,
} from '../../../shared/compliance.js';
import type { ProtectionMode } from '../../../shared/policy.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111';
const OTHER = 'arn:aws:kms:us-east-1:111122223333:key/22222222-2222-2222-2222-222222222222';
const envelopeV2 = { 'x-amz-key-v2': 'AQID', 'x-amz-iv': 'AAAA', 'x-amz-wrap-alg': 'kms+context' };

const object = (state: Partial<ObjectState>): ObjectState => ({
  key: 'data/file.bin',
  metadata: {},
  ...state,
});
const decide = (state: Partial<ObjectState>, mode: ProtectionMode, useUpdateObjectEncryption = false) =>
  decideCompliance(
    object(state),
    { mode, keyArn: mode === 'sse-s3' ? undefined : KEY },
    { useUpdateObjectEncryption },
  );
const action = (d: ComplianceDecision) =>
  d.action === 'protect' ? `protect:${d.method}` : d.action === 'skip' ? `skip:${d.reason}` : 'compliant';

describe('the compliance decision table', () => {
  const states: Record<string, Partial<ObjectState>> = {
    unencrypted: {},
    'SSE-S3': { serverSideEncryption: 'AES256' },
    'SSE-KMS, policy key': { serverSideEncryption: 'aws:kms', kmsKeyArn: KEY },
    'SSE-KMS, other key': { serverSideEncryption: 'aws:kms', kmsKeyArn: OTHER },
    'DSSE-KMS, policy key': { serverSideEncryption: 'aws:kms:dsse', kmsKeyArn: KEY },
    'envelope V2': { metadata: envelopeV2 },
    'envelope V1': { metadata: { 'x-amz-key': 'abc' } },
    'envelope V2 on SSE-KMS, other key': {
      metadata: envelopeV2,
      serverSideEncryption: 'aws:kms',
      kmsKeyArn: OTHER,
    },
    'SSE-C': { sseCustomerAlgorithm: 'AES256' },
    GLACIER: { storageClass: 'GLACIER' },
    DEEP_ARCHIVE: { storageClass: 'DEEP_ARCHIVE' },
    GLACIER_IR: { storageClass: 'GLACIER_IR' },
    'Intelligent-Tiering archive': { storageClass: 'INTELLIGENT_TIERING', archiveStatus: 'ARCHIVE_ACCESS' },
  };
  const expected: Record<string, Record<ProtectionMode, string>> = {
    unencrypted: {
      envelope: 'protect:envelope',
      'sse-kms': 'protect:copy-in-place',
      'sse-s3': 'protect:copy-in-place',
    },
    'SSE-S3': { envelope: 'protect:envelope', 'sse-kms': 'protect:copy-in-place', 'sse-s3': 'compliant' },
    'SSE-KMS, policy key': { envelope: 'protect:envelope', 'sse-kms': 'compliant', 'sse-s3': 'compliant' },
    'SSE-KMS, other key': {
      envelope: 'protect:envelope',
      'sse-kms': 'protect:copy-in-place',
      'sse-s3': 'compliant',
    },
    'DSSE-KMS, policy key': { envelope: 'protect:envelope', 'sse-kms': 'compliant', 'sse-s3': 'compliant' },
    'envelope V2': { envelope: 'compliant', 'sse-kms': 'compliant', 'sse-s3': 'compliant' },
    'envelope V1': { envelope: 'compliant', 'sse-kms': 'compliant', 'sse-s3': 'compliant' },
    'envelope V2 on SSE-KMS, other key': {
      envelope: 'compliant',
      'sse-kms': 'compliant',
      'sse-s3': 'compliant',
    },
    'SSE-C': { envelope: 'skip:sse-c', 'sse-kms': 'skip:sse-c', 'sse-s3': 'skip:sse-c' },
    GLACIER: { envelope: 'skip:archived', 'sse-kms': 'skip:archived', 'sse-s3': 'skip:archived' },
    DEEP_ARCHIVE: { envelope: 'skip:archived', 'sse-kms': 'skip:archived', 'sse-s3': 'skip:archived' },
    GLACIER_IR: {
      envelope: 'protect:envelope',
      'sse-kms': 'protect:copy-in-place',
      'sse-s3': 'protect:copy-in-place',
    },
    'Intelligent-Tiering archive': {
      envelope: 'skip:archived',
      'sse-kms': 'skip:archived',
      'sse-s3': 'skip:archived',
    },
  };
  for (const [name, state] of Object.entries(states)) {
    for (const mode of ['envelope', 'sse-kms', 'sse-s3'] as const) {
      it(`${name} under ${mode}: ${expected[name]![mode]}`, () => {
        expect(action(decide(state, mode))).toBe(expected[name]![mode]);
      });
    }
  }

  it('never encrypts an already-envelope-encrypted object again, under any mode or key', () => {
    for (const mode of ['envelope', 'sse-kms', 'sse-s3'] as const) {
      for (const metadata of [envelopeV2, { 'x-amz-key': 'v1' }]) {
        expect(
          decideCompliance(object({ metadata }), { mode, keyArn: OTHER }, { useUpdateObjectEncryption: true })
            .action,
        ).toBe('compliant');
      }
    }
  });

  it('moves SSE-S3 to SSE-KMS with UpdateObjectEncryption only when the endpoint offers it', () => {
    expect(action(decide({ serverSideEncryption: 'AES256' }, 'sse-kms', true))).toBe(
      'protect:update-encryption',
    );
    expect(action(decide({}, 'sse-kms', true))).toBe('protect:copy-in-place');
  });

  it('skips S3EC instruction files in envelope mode (they hold another object’s data key)', () => {
    expect(action(decide({ key: 'photo.jpg.instruction' } as Partial<ObjectState>, 'envelope'))).toBe(
      'skip:s3ec-instruction-file',
    );
    expect(action(decide({ key: 'photo.jpg.instruction' } as Partial<ObjectState>, 'sse-s3'))).toBe(
      'protect:copy-in-place',
    );
  });

  it('isCompliant agrees with the table', () => {
    expect(
      isCompliant(object({ serverSideEncryption: 'aws:kms', kmsKeyArn: KEY }), {
        mode: 'sse-kms',
        keyArn: KEY,
      }),
    ).toBe(true);
    expect(isCompliant(object({ serverSideEncryption: 'AES256' }), { mode: 'sse-kms', keyArn: KEY })).toBe(
      false,
    );
  });
});
