import { describe, expect, it } from 'vitest';
import { uploadEnforcement } from '../../../../shared/estate/upload-enforcement.js';
import {
  denyStatements,
  mergeStatements,
  type PolicyStatement,
  statementTag,
} from '../../../../shared/estate/upload-policy.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const users = {
  Sid: 'UsersOwn',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::b/*',
};

const ours = (prefix = '', keyArn = KEY) =>
  denyStatements({ bucket: 'b', prefix, suffix: '', policy: { mode: 'sse-kms', keyArn } });

describe('deny statements', () => {
  it('sse-kms with default encryption: SSE-C, other algorithms, other keys and aws:kms without a key; plain uploads left to the default', () => {
    const statements = ours('in/');
    expect(statements.map((s) => s.Sid)).toEqual(
      ['SseC', 'OtherEncryption', 'OtherKmsKey', 'KmsWithoutKey'].map(
        (n) => `S3SealDeny${n}${statementTag('in/', '')}`,
      ),
    );
    expect(statements.every((s) => s.Resource === 'arn:aws:s3:::b/in/*' && s.Effect === 'Deny')).toBe(true);
    expect(uploadEnforcement({ Statement: statements })).toEqual({
      headerRequired: false,
      algorithms: ['aws:kms', 'aws:kms:dsse'],
      keys: [KEY],
      deniesSseC: true,
    });
  });

  it('refuses aws:kms and aws:kms:dsse without a key id (S3 would use aws/s3; a DSSE object is never re-keyed)', () => {
    const statement = ours().find((s) => s.Sid?.startsWith('S3SealDenyKmsWithoutKey'));
    expect(statement?.Condition).toEqual({
      StringEquals: { 's3:x-amz-server-side-encryption': ['aws:kms', 'aws:kms:dsse'] },
      Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' },
    });
  });

  it('never refuses an upload that names no encryption (plain PutObject, UploadPart): every not-equals test is guarded', () => {
    for (const statement of ours()) {
      const condition = statement.Condition ?? {};
      for (const key of Object.keys(condition.StringNotEquals ?? {})) {
        expect(condition.Null?.[key], statement.Sid).toBe('false');
      }
      expect(Object.keys(condition)).not.toContain('StringNotEqualsIfExists');
    }
  });

  it('sse-kms with --other-kms-keys leave: uploads under another KMS key (or aws/s3) are not refused, since the watch leaves them', () => {
    const statements = denyStatements({
      bucket: 'b',
      prefix: '',
      suffix: '',
      policy: { mode: 'sse-kms', keyArn: KEY, otherKmsKeys: 'leave' },
    });
    expect(statements.map((s) => s.Sid)).toEqual(
      ['SseC', 'OtherEncryption'].map((n) => `S3SealDeny${n}${statementTag('', '')}`),
    );
    expect(uploadEnforcement({ Statement: statements })).toEqual({
      headerRequired: false,
      algorithms: ['aws:kms', 'aws:kms:dsse'],
      deniesSseC: true,
    });
  });

  it('sse-s3: refuses only SSE-C (any server-side algorithm is compliant)', () => {
    const statements = denyStatements({
      bucket: 'b',
      prefix: '',
      suffix: '',
      policy: { mode: 'sse-s3' },
    });
    expect(uploadEnforcement({ Statement: statements })).toEqual({ headerRequired: false, deniesSseC: true });
  });
});

describe('merging into a bucket policy', () => {
  it('keeps every user statement in order and appends ours', () => {
    const { policy, changed } = mergeStatements(
      { Version: '2012-10-17', Statement: [users] },
      statementTag('', ''),
      ours(),
    );
    expect(changed).toBe(true);
    expect(policy.Statement[0]).toEqual(users);
    expect(policy.Statement).toHaveLength(5);
  });

  it('is idempotent: the merged policy merges to itself, unchanged', () => {
    const once = mergeStatements({ Statement: [users] }, statementTag('', ''), ours()).policy;
    const twice = mergeStatements(structuredClone(once), statementTag('', ''), ours());
    expect(twice.changed).toBe(false);
    expect(twice.policy).toEqual(once);
  });

  it('replaces our stale statements of the same prefix, and leaves another prefix’s alone', () => {
    const other = ours('other/');
    const stale = ours('', 'arn:aws:kms:us-east-1:111122223333:key/old');
    const merged = mergeStatements({ Statement: [users, ...other, ...stale] }, statementTag('', ''), ours());
    expect(merged.changed).toBe(true);
    expect(merged.policy.Statement).toEqual([users, ...other, ...ours()]);
  });

  it('starts a policy when the bucket has none', () => {
    expect(mergeStatements(undefined, statementTag('', ''), ours()).policy).toEqual({
      Version: '2012-10-17',
      Statement: ours(),
    });
  });
});

describe('reading what a policy denies', () => {
  it('reads the AWS documentation shapes: Null on the header, StringNotEquals on the key id, s3:* actions', () => {
    const policy = {
      Statement: <PolicyStatement[]>[
        users,
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: '*',
          Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
        },
        {
          Effect: 'Deny',
          Principal: '*',
          Action: ['s3:*'],
          Resource: '*',
          Condition: { StringNotEquals: { 'S3:X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id': KEY } },
        },
      ],
    };
    expect(uploadEnforcement(policy)).toEqual({ headerRequired: true, keys: [KEY], deniesSseC: false });
  });

  it('ignores Allow statements, other actions and NotAction', () => {
    const condition = { Null: { 's3:x-amz-server-side-encryption': 'true' } };
    const policy = {
      Statement: [
        { Effect: 'Allow', Action: 's3:PutObject', Condition: condition },
        { Effect: 'Deny', Action: 's3:GetObject', Condition: condition },
        { Effect: 'Deny', NotAction: 's3:GetObject', Condition: condition },
      ],
    };
    expect(uploadEnforcement(policy)).toEqual({ headerRequired: false, deniesSseC: false });
    expect(uploadEnforcement(undefined)).toEqual({ headerRequired: false, deniesSseC: false });
  });
});
