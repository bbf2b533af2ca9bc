import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decideCompliance, isCompliant, type ObjectState } from '../../../shared/compliance.js';
import { migrationKeyFor, sseCustomerKeyProblem } from '../../../shared/jobs/sse-c-job.js';
import type { ProtectionMode } from '../../../shared/policy.js';
import type { ObjectHead } from '../../../shared/s3/object-head.js';
import { SseCustomerKey } from '../../../shared/s3/sse-c-key.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111';
const envelopeV2 = { 'x-amz-key-v2': 'AQID', 'x-amz-iv': 'AAAA', 'x-amz-wrap-alg': 'kms+context' };

const sseC = (state: Partial<ObjectState> = {}): ObjectState => ({
  key: 'data/file.bin',
  metadata: {},
  sseCustomerAlgorithm: 'AES256',
  ...state,
});
const decide = (state: ObjectState, mode: ProtectionMode) =>
  decideCompliance(
    state,
    { mode, keyArn: mode === 'sse-s3' ? undefined : KEY },
    { useUpdateObjectEncryption: true },
  );

describe('the decision for SSE-C objects', () => {
  it.each<ProtectionMode>([
    'sse-kms',
    'envelope',
    'sse-s3',
  ])('skips as sse-c in %s mode without a key that opens it', (mode) => {
    for (const matches of [undefined, false]) {
      expect(decide(sseC({ sseCustomerKeyMatches: matches }), mode)).toMatchObject({
        action: 'skip',
        reason: 'sse-c',
      });
    }
  });

  it.each<ProtectionMode>([
    'sse-kms',
    'envelope',
  ])('migrates in %s mode when the run’s key opens it', (mode) => {
    expect(decide(sseC({ sseCustomerKeyMatches: true }), mode)).toEqual({
      action: 'protect',
      method: 'sse-c-migration',
    });
  });

  it('never migrates to sse-s3', () => {
    expect(decide(sseC({ sseCustomerKeyMatches: true }), 'sse-s3')).toMatchObject({ reason: 'sse-c' });
  });

  it('never puts a second envelope over S3EC data stored under SSE-C; sse-kms keeps its bytes', () => {
    const inner = sseC({ sseCustomerKeyMatches: true, metadata: envelopeV2 });
    expect(decide(inner, 'envelope')).toMatchObject({ action: 'skip', reason: 'sse-c' });
    expect(decide(sseC({ sseCustomerKeyMatches: true, key: 'a.instruction' }), 'envelope')).toMatchObject({
      action: 'skip',
    });
    expect(decide(inner, 'sse-kms')).toEqual({ action: 'protect', method: 'sse-c-migration' });
  });

  it('never counts an SSE-C object compliant', () => {
    for (const mode of ['sse-kms', 'envelope', 'sse-s3'] as const) {
      expect(isCompliant(sseC({ sseCustomerKeyMatches: true }), { mode, keyArn: KEY })).toBe(false);
    }
  });
});

describe('which key a migration job uses, and why it refuses', () => {
  const workerKey = new SseCustomerKey(randomBytes(32));
  const other = new SseCustomerKey(randomBytes(32));
  const head = (state: Partial<ObjectHead> = {}): ObjectHead => ({
    bucket: 'b',
    etag: '',
    size: 0,
    headers: {},
    ...sseC(),
    ...state,
  });

  it('uses the worker’s key only for a run that names its fingerprint', () => {
    expect(migrationKeyFor({ sseCustomerKeyMd5: workerKey.md5 }, workerKey)).toBe(workerKey);
    expect(migrationKeyFor({ sseCustomerKeyMd5: other.md5 }, workerKey)).toBeUndefined();
    expect(migrationKeyFor({}, workerKey)).toBeUndefined();
  });

  it('fails sse-c-key-unavailable when the worker holds no key or another one', () => {
    expect(sseCustomerKeyProblem({ sseCustomerKeyMd5: other.md5 }, undefined, head())).toMatchObject({
      reason: 'sse-c-key-unavailable',
      detail: expect.stringContaining('holds no SSE-C key'),
    });
    expect(sseCustomerKeyProblem({ sseCustomerKeyMd5: other.md5 }, workerKey, head())?.reason).toBe(
      'sse-c-key-unavailable',
    );
  });

  it('fails sse-c-wrong-key when S3 refused the run’s key', () => {
    const refused = head({ sseCustomerKeyMatches: false });
    expect(sseCustomerKeyProblem({ sseCustomerKeyMd5: workerKey.md5 }, workerKey, refused)?.reason).toBe(
      'sse-c-wrong-key',
    );
  });

  it('has nothing to refuse without a migration run, for a non-SSE-C object, or a key that opens it', () => {
    expect(sseCustomerKeyProblem({}, workerKey, head())).toBeUndefined();
    const plain = head({ sseCustomerAlgorithm: undefined });
    expect(sseCustomerKeyProblem({ sseCustomerKeyMd5: other.md5 }, undefined, plain)).toBeUndefined();
    const opened = head({ sseCustomerKeyMatches: true });
    expect(sseCustomerKeyProblem({ sseCustomerKeyMd5: workerKey.md5 }, workerKey, opened)).toBeUndefined();
  });
});
