import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../../deploy/config.js';
import { FUNCTIONS, functionRoles, functionStatements, roleLogicalId } from '../../../deploy/iam.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111';
const OLD_KEY = 'arn:aws:kms:us-east-1:111122223333:key/22222222-2222-4222-8222-222222222222';
const ENVELOPE_KEY = 'arn:aws:kms:us-east-1:111122223333:key/33333333-3333-4333-8333-333333333333';

const config = parseDeployConfig(
  {
    buckets: [
      { name: 'records', mode: 'sse-kms', kmsKeyArn: KEY, previousKmsKeyArns: [OLD_KEY] },
      { name: 'documents', mode: 'envelope', kmsKeyArn: ENVELOPE_KEY },
      { name: 'logs', mode: 'sse-s3' },
    ],
  },
  { region: 'us-east-1', source: 'test' },
);

const statements = (fn: (typeof FUNCTIONS)[number]) => functionStatements(fn, config, `s3-seal-prod-${fn}`);
const actions = (fn: (typeof FUNCTIONS)[number]) => statements(fn).flatMap((s) => s.Action);
/** Actions outside the audit trail (which every function writes and reads under its prefix). */
const dataActions = (fn: (typeof FUNCTIONS)[number]) =>
  statements(fn)
    .filter((s) => !s.Sid.startsWith('AuditTrail'))
    .flatMap((s) => s.Action);
/** The KMS actions a function may call on `key`, with the condition that guards them. */
const kmsOn = (fn: (typeof FUNCTIONS)[number], key: string) =>
  statements(fn)
    .filter((s) => s.Resource.includes(key))
    .map((s) => ({ actions: s.Action, condition: Object.keys(s.Condition?.StringEquals ?? {})[0] }));

describe('functionStatements', () => {
  it('gives scan no KMS and no object access', () => {
    expect(
      dataActions('scan').filter(
        (a) => a.startsWith('kms:') || (a.startsWith('s3:') && a !== 's3:ListBucket'),
      ),
    ).toEqual([]);
  });

  it('lets scan read configured inventory reports, only there, decrypting through S3', () => {
    const REPORT_KEY = 'arn:aws:kms:us-east-1:111122223333:key/44444444-4444-4444-8444-444444444444';
    const withReports = parseDeployConfig(
      {
        buckets: [{ name: 'logs', mode: 'sse-s3' }],
        inventoryReports: [{ bucket: 'reports', prefix: 'inv/logs/', kmsKeyArn: REPORT_KEY }],
      },
      { region: 'us-east-1', source: 'test' },
    );
    const scan = functionStatements('scan', withReports, 's3-seal-prod-scan');
    expect(scan.filter((s) => s.Action.includes('s3:GetObject') && !s.Sid.startsWith('AuditTrail'))).toEqual([
      expect.objectContaining({ Resource: ['arn:aws:s3:::reports/inv/logs/*'] }),
    ]);
    expect(scan.find((s) => s.Action.includes('kms:Decrypt'))).toMatchObject({
      Resource: [REPORT_KEY],
      Condition: { StringEquals: { 'kms:ViaService': expect.anything() } },
    });
    expect(
      functionStatements('encrypt', withReports, 'e').some((s) => s.Sid === 'ReadInventoryReports'),
    ).toBe(false);
  });

  it('lets no role write the old audit table: the trail is chunk logs in S3', () => {
    const withReports = parseDeployConfig(
      {
        buckets: [{ name: 'logs', mode: 'sse-s3' }],
        inventoryReports: [{ bucket: 'reports', prefix: 'inv/' }],
      },
      { region: 'us-east-1', source: 'test' },
    );
    for (const fn of FUNCTIONS) {
      expect(JSON.stringify(functionStatements(fn, withReports, 's'))).not.toContain('AuditTable');
    }
  });

  it('lets encrypt generate envelope data keys only under the S3 Encryption Client context', () => {
    expect(kmsOn('encrypt', ENVELOPE_KEY)).toContainEqual({
      actions: ['kms:GenerateDataKey'],
      condition: 'kms:EncryptionContext:aws:x-amz-cek-alg',
    });
    // S3-side use of the same key (objects that already carry SSE-KMS) goes through S3 only.
    for (const grant of kmsOn('encrypt', ENVELOPE_KEY)) {
      expect(['kms:EncryptionContext:aws:x-amz-cek-alg', 'kms:ViaService']).toContain(grant.condition);
    }
  });

  it('binds envelope grants to both S3EC contexts (V3 115, V2 AES/GCM/NoPadding) and lets encrypt read envelopes', () => {
    const envelopeGrants = [...statements('encrypt'), ...statements('rewrap')].filter(
      (s) => s.Condition?.StringEquals?.['kms:EncryptionContext:aws:x-amz-cek-alg'],
    );
    expect(envelopeGrants.length).toBeGreaterThan(0);
    for (const grant of envelopeGrants) {
      expect(grant.Condition?.StringEquals?.['kms:EncryptionContext:aws:x-amz-cek-alg']).toEqual([
        '115',
        'AES/GCM/NoPadding',
      ]);
    }
    // Confirming the key of a client-written envelope and upgrading V2 objects both unwrap data keys.
    expect(kmsOn('encrypt', ENVELOPE_KEY)).toContainEqual({
      actions: ['kms:Decrypt'],
      condition: 'kms:EncryptionContext:aws:x-amz-cek-alg',
    });
  });

  it('lets a previous SSE-KMS key only be read from, through S3', () => {
    expect(kmsOn('encrypt', OLD_KEY)).toEqual([{ actions: ['kms:Decrypt'], condition: 'kms:ViaService' }]);
    expect(kmsOn('rewrap', OLD_KEY)).toEqual([
      { actions: ['kms:Decrypt', 'kms:ReEncryptFrom'], condition: 'kms:ViaService' },
    ]);
  });

  it('grants rewrap ReEncryptTo only on current keys', () => {
    const to = statements('rewrap').filter((s) => s.Action.includes('kms:ReEncryptTo'));
    expect([...new Set(to.flatMap((s) => s.Resource))].sort()).toEqual([ENVELOPE_KEY, KEY].sort());
  });

  it('allows UpdateObjectEncryption on sse-kms buckets only, and for rewrap on envelope buckets too', () => {
    const update = (fn: (typeof FUNCTIONS)[number]) =>
      statements(fn).find((s) => s.Action.includes('s3:UpdateObjectEncryption'))?.Resource;
    expect(update('encrypt')).toEqual(['arn:aws:s3:::records/*']);
    expect(update('events')).toEqual(['arn:aws:s3:::records/*']);
    // An envelope's own SSE-KMS layer under a previous key moves with the re-wrap.
    expect(update('rewrap')).toEqual(['arn:aws:s3:::records/*', 'arn:aws:s3:::documents/*']);
  });

  it('lets every object handler, rewrap included, hand large objects to the worker queue', () => {
    for (const fn of ['encrypt', 'events', 'rewrap'] as const) {
      const handOff = statements(fn).find((s) => s.Sid === 'HandOffLargeObjects');
      expect(handOff, fn).toMatchObject({ Action: ['sqs:SendMessage'] });
      expect(JSON.stringify(handOff!.Resource), fn).toContain('LargeQueue');
    }
  });

  it('keeps the planner to DescribeKey and its queues, with no index and no scan of the ledger', () => {
    expect(actions('rewrap-planner').filter((a) => a.startsWith('kms:'))).toEqual(['kms:DescribeKey']);
    // Manifests replace the wrap index: no role queries an index or scans the ledger.
    for (const fn of FUNCTIONS) {
      expect(actions(fn)).not.toContain('dynamodb:Scan');
      expect(JSON.stringify(statements(fn))).not.toContain('byWrapKey');
    }
    expect(
      JSON.stringify(statements('rewrap-planner').find((s) => s.Sid === 'EnqueueRewraps')?.Resource),
    ).toContain('LargeQueue');
  });

  it('lets the planner carry a moved watch’s controls: encryption and policy of the configured buckets, no objects', () => {
    const carry = statements('rewrap-planner').find((s) => s.Sid === 'CarryWatchControls');
    expect(carry?.Action).toEqual([
      's3:GetEncryptionConfiguration',
      's3:PutEncryptionConfiguration',
      's3:GetBucketPolicy',
      's3:PutBucketPolicy',
    ]);
    expect(carry?.Resource).toEqual(['arn:aws:s3:::records', 'arn:aws:s3:::documents', 'arn:aws:s3:::logs']);
    // Still no object access: the planner reads manifests and queues chunks.
    expect(dataActions('rewrap-planner').filter((a) => a.startsWith('s3:') && a.includes('Object'))).toEqual(
      [],
    );
  });

  it('lets scan pages enqueue rewrap chunks (chained manifest plans)', () => {
    expect(JSON.stringify(statements('scan').find((s) => s.Sid === 'EnqueuePages')?.Resource)).toContain(
      'RewrapQueue',
    );
  });

  it('lets every function but the sequencer write, read and list the audit trail, only under its prefix, and never delete there', () => {
    // The sequencer has the transparency log's prefix instead (iam-tlog.test.ts).
    expect(statements('sequencer').filter((s) => s.Sid.startsWith('AuditTrail'))).toEqual([]);
    for (const fn of FUNCTIONS.filter((f) => f !== 'sequencer')) {
      const objects = statements(fn).find((s) => s.Sid === 'AuditTrailObjects');
      expect(objects?.Action).toEqual(['s3:PutObject', 's3:GetObject']);
      expect(objects?.Resource).toEqual([
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['AuditTrailBucket', 'Arn'] }, '/audit/*']] },
      ]);
      const list = statements(fn).find((s) => s.Sid === 'AuditTrailList');
      expect(list).toEqual({
        Sid: 'AuditTrailList',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [{ 'Fn::GetAtt': ['AuditTrailBucket', 'Arn'] }],
        Condition: { StringLike: { 's3:prefix': 'audit/*' } },
      });
    }
  });

  it('never grants deletes or wildcards, and gives every statement a unique Sid', () => {
    for (const fn of FUNCTIONS) {
      const all = statements(fn);
      expect(new Set(all.map((s) => s.Sid)).size).toBe(all.length);
      for (const action of all.flatMap((s) => s.Action)) {
        expect(action).not.toContain('*');
        expect(action).not.toMatch(/Delete(Item|Object|Table)/);
      }
    }
  });
});

describe('functionRoles', () => {
  it('makes one role per function, trusted by Lambda only', () => {
    const roles = functionRoles(config, { service: 's3-seal', stage: 'prod' });
    expect(Object.keys(roles)).toEqual(FUNCTIONS.map(roleLogicalId));
    expect(roleLogicalId('rewrap-planner')).toBe('RewrapPlannerRole');
    const role = roles.ScanRole as { Properties: { AssumeRolePolicyDocument: { Statement: unknown[] } } };
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
  });
});
