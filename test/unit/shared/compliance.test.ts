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
const envelopeV2 = {
  'x-amz-key-v2': 'AQID',
  'x-amz-iv': 'AAAAAAAAAAAAAAAA',
  'x-amz-cek-alg': 'AES/GCM/NoPadding',
  'x-amz-tag-len': '128',
  'x-amz-wrap-alg': 'kms+context',
  'x-amz-matdesc': '{"aws:x-amz-cek-alg":"AES/GCM/NoPadding"}',
};
// What the official Go v4 client writes by default (x-amz-d and x-amz-i are 28 bytes each).
const envelopeV3 = {
  'x-amz-c': '115',
  'x-amz-3': 'AQID',
  'x-amz-w': '12',
  'x-amz-t': '{"aws:x-amz-cek-alg":"115"}',
  'x-amz-d': Buffer.alloc(28, 1).toString('base64'),
  'x-amz-i': Buffer.alloc(28, 2).toString('base64'),
};

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
    'DSSE-KMS, other key': { serverSideEncryption: 'aws:kms:dsse', kmsKeyArn: OTHER },
    'envelope V2': { metadata: envelopeV2 },
    'envelope V3': { metadata: envelopeV3 },
    'envelope V3 on SSE-S3': { metadata: envelopeV3, serverSideEncryption: 'AES256' },
    'envelope V1': { metadata: { 'x-amz-key': 'abc', 'x-amz-iv': 'AAAAAAAAAAAAAAAA' } },
    'V3 with V2 entries on top': { metadata: { ...envelopeV3, ...envelopeV2 } },
    'V3 raw AES keyring (02)': { metadata: { ...envelopeV3, 'x-amz-w': '02' } },
    'plaintext carrying x-amz-key-v2 only': { metadata: { 'x-amz-key-v2': 'AQID' } },
    'plaintext carrying x-amz-key only': { metadata: { 'x-amz-key': 'AQID' } },
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
      'sse-kms': 'protect:rekey',
      'sse-s3': 'compliant',
    },
    'DSSE-KMS, policy key': { envelope: 'protect:envelope', 'sse-kms': 'compliant', 'sse-s3': 'compliant' },
    'DSSE-KMS, other key': {
      envelope: 'protect:envelope',
      'sse-kms': 'skip:dsse-other-key',
      'sse-s3': 'compliant',
    },
    'envelope V2': { envelope: 'compliant', 'sse-kms': 'compliant', 'sse-s3': 'compliant' },
    'envelope V3': { envelope: 'compliant', 'sse-kms': 'compliant', 'sse-s3': 'compliant' },
    'envelope V3 on SSE-S3': { envelope: 'compliant', 'sse-kms': 'compliant', 'sse-s3': 'compliant' },
    'envelope V1': {
      envelope: 'skip:unreadable-client-side-format',
      'sse-kms': 'skip:unreadable-client-side-format',
      'sse-s3': 'skip:unreadable-client-side-format',
    },
    'V3 with V2 entries on top': {
      envelope: 'skip:unreadable-client-side-format',
      'sse-kms': 'skip:unreadable-client-side-format',
      'sse-s3': 'skip:unreadable-client-side-format',
    },
    'V3 raw AES keyring (02)': {
      envelope: 'skip:unreadable-client-side-format',
      'sse-kms': 'skip:unreadable-client-side-format',
      'sse-s3': 'skip:unreadable-client-side-format',
    },
    'plaintext carrying x-amz-key-v2 only': {
      envelope: 'skip:malformed-envelope',
      'sse-kms': 'skip:malformed-envelope',
      'sse-s3': 'skip:malformed-envelope',
    },
    'plaintext carrying x-amz-key only': {
      envelope: 'skip:unreadable-client-side-format',
      'sse-kms': 'skip:unreadable-client-side-format',
      'sse-s3': 'skip:unreadable-client-side-format',
    },
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

  it('never encrypts a client-side-encrypted object again, under any mode or key', () => {
    const anyS3ec: Record<string, string>[] = [
      envelopeV2,
      envelopeV3,
      { 'x-amz-key': 'v1' },
      { 'x-amz-c': '115', 'x-amz-d': 'AQID', 'x-amz-i': 'AQID' },
      { ...envelopeV3, ...envelopeV2 },
      { 'x-amz-iv': 'AAAAAAAAAAAAAAAA' },
    ];
    for (const mode of ['envelope', 'sse-kms', 'sse-s3'] as const) {
      for (const metadata of anyS3ec) {
        for (const upgradeFormat of [false, true]) {
          const decision = decideCompliance(
            object({ metadata }),
            { mode, keyArn: OTHER, upgradeFormat },
            { useUpdateObjectEncryption: true },
          );
          const rewritesAsPlaintext = decision.action === 'protect' && decision.method !== 'upgrade-format';
          expect(rewritesAsPlaintext, JSON.stringify({ mode, metadata })).toBe(false);
        }
      }
    }
  });

  it('asks the caller to confirm the wrapping key of a readable envelope in envelope mode', () => {
    const decision = decide({ metadata: envelopeV3 }, 'envelope');
    expect(decision).toMatchObject({ action: 'compliant', envelopeFormat: 'v3' });
    expect(decide({ metadata: envelopeV3 }, 'sse-kms')).not.toHaveProperty('envelopeFormat');
  });

  it('upgrades V2 envelopes to V3 only when asked, and never V3 ones', () => {
    const upgrade = (metadata: Record<string, string>, upgradeFormat: boolean) =>
      action(
        decideCompliance(
          object({ metadata }),
          { mode: 'envelope', keyArn: KEY, upgradeFormat },
          { useUpdateObjectEncryption: false },
        ),
      );
    expect(upgrade(envelopeV2, true)).toBe('protect:upgrade-format');
    expect(upgrade(envelopeV2, false)).toBe('compliant');
    expect(upgrade(envelopeV3, true)).toBe('compliant');
  });

  it('moves SSE-S3 to SSE-KMS with UpdateObjectEncryption only when the endpoint offers it', () => {
    expect(action(decide({ serverSideEncryption: 'AES256' }, 'sse-kms', true))).toBe(
      'protect:update-encryption',
    );
    expect(action(decide({}, 'sse-kms', true))).toBe('protect:copy-in-place');
  });

  it('makes an SSE-KMS object under another key a re-key naming its source key, or leaves it on request', () => {
    const underOther = object({ serverSideEncryption: 'aws:kms', kmsKeyArn: OTHER });
    const options = { useUpdateObjectEncryption: true };
    // The default re-keys, and says from which key: never a plain copy-in-place "encrypted".
    expect(decideCompliance(underOther, { mode: 'sse-kms', keyArn: KEY }, options)).toEqual({
      action: 'protect',
      method: 'rekey',
      sourceKeyArn: OTHER,
    });
    expect(
      decideCompliance(underOther, { mode: 'sse-kms', keyArn: KEY, otherKmsKeys: 'rekey' }, options),
    ).toMatchObject({ action: 'protect', method: 'rekey', sourceKeyArn: OTHER });
    expect(
      decideCompliance(underOther, { mode: 'sse-kms', keyArn: KEY, otherKmsKeys: 'leave' }, options),
    ).toMatchObject({ action: 'skip', reason: 'under-another-kms-key', sourceKeyArn: OTHER });
    // `leave` concerns other KMS keys only: plaintext and SSE-S3 are still protected, the policy key compliant.
    const leave = { mode: 'sse-kms' as const, keyArn: KEY, otherKmsKeys: 'leave' as const };
    expect(action(decideCompliance(object({}), leave, options))).toBe('protect:copy-in-place');
    expect(action(decideCompliance(object({ serverSideEncryption: 'AES256' }), leave, options))).toBe(
      'protect:update-encryption',
    );
    expect(
      action(decideCompliance(object({ serverSideEncryption: 'aws:kms', kmsKeyArn: KEY }), leave, options)),
    ).toBe('compliant');
    // DSSE-KMS keeps its own reason (never downgraded), whatever the choice.
    expect(
      action(
        decideCompliance(object({ serverSideEncryption: 'aws:kms:dsse', kmsKeyArn: OTHER }), leave, options),
      ),
    ).toBe('skip:dsse-other-key');
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
