import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { signingKeyPolicy } from '../../deploy/iam-tlog.js';
import { tableDefinitions } from '../../shared/infra/provision.js';
import { MAX_LEAVES_PER_ASSIGNMENT } from '../../shared/transparency/sequencer-state.js';
import {
  extractZip,
  type Json,
  readTemplate,
  resourcesOfType,
  runOsls,
  type Template,
  zipEntries,
} from '../helpers/serverless.js';

/**
 * `serverless package` for the `test` stage (deploy/config.test.json: an sse-kms bucket with a
 * previous key, an envelope bucket, an sse-s3 bucket, an alias policy and an alarm topic), with
 * no credentials and no network, then assertions on the CloudFormation it generates.
 */
const FUNCTIONS = ['scan', 'encrypt', 'events', 'rewrap', 'rewrap-planner', 'sequencer'];
const CONFIGURED_KEYS = [
  'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111',
  'arn:aws:kms:us-east-1:111122223333:key/22222222-2222-4222-8222-222222222222',
  'arn:aws:kms:us-east-1:111122223333:key/33333333-3333-4333-8333-333333333333',
];
const BUCKETS = ['s3-seal-test-records', 's3-seal-test-documents', 's3-seal-test-logs'];
/**
 * Zipped size budget per function. Each bundle carries its own AWS SDK clients (serverless.yml
 * says why); 1.1-1.45 MB (2026-12-07). Lambda's own limit is 50 MB, but cold starts grow with the zip.
 */
const BUNDLE_LIMIT_BYTES = 2.5 * 1024 * 1024;

let template: Template;
let packageDir: string;

beforeAll(() => {
  const run = runOsls('package', ['--stage', 'test']);
  expect(run.output).toContain('Service packaged');
  expect(run.status).toBe(0);
  packageDir = run.packageDir;
  template = readTemplate(packageDir);
});

/**
 * Every statement of every IAM role in the template, with the role's logical id: the roles' own
 * policies, and the policies attached to them as resources of their own (`policyId`).
 */
function roleStatements() {
  const inline = resourcesOfType(template, 'AWS::IAM::Role').flatMap(([roleId, role]) =>
    (role.Properties.Policies ?? []).flatMap((policy: { PolicyDocument: { Statement: unknown[] } }) =>
      policy.PolicyDocument.Statement.map((statement) => ({
        roleId,
        policyId: undefined as string | undefined,
        ...(statement as Record<string, Json>),
      })),
    ),
  );
  const attached = resourcesOfType(template, 'AWS::IAM::Policy').flatMap(([policyId, policy]) =>
    (policy.Properties.Roles as Json[]).flatMap((role) =>
      (policy.Properties.PolicyDocument.Statement as Json[]).map((statement) => ({
        roleId: logicalIdOf(role)!,
        policyId: policyId as string | undefined,
        ...(statement as Record<string, Json>),
      })),
    ),
  );
  return [...inline, ...attached];
}
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const logicalIdOf = (ref: { 'Fn::GetAtt'?: string[]; Ref?: string }) => ref['Fn::GetAtt']?.[0] ?? ref.Ref;

describe('functions', () => {
  it('packages the six functions on nodejs24.x, arm64, each with its own role', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function').map(([, f]) => f.Properties);
    expect(functions.map((f) => f.FunctionName).sort()).toEqual(
      FUNCTIONS.map((f) => `s3-seal-test-${f}`).sort(),
    );
    for (const f of functions) {
      expect(f.Runtime).toBe('nodejs24.x');
      expect(f.Architectures).toEqual(['arm64']);
    }
    const roles = functions.map((f) => logicalIdOf(f.Role));
    expect(new Set(roles).size).toBe(FUNCTIONS.length);
    // No shared execution role from the framework.
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('bundles each handler with esbuild: one .mjs with a source map, under the size budget', () => {
    for (const fn of FUNCTIONS) {
      const zip = join(packageDir, `${fn}.zip`);
      const entries = zipEntries(zip);
      expect(entries).toContain(`functions/${fn}/handler.mjs`);
      expect(entries).toContain(`functions/${fn}/handler.mjs.map`);
      // Bundled, not shipped: no node_modules and no TypeScript sources in the zip.
      expect(entries.filter((e) => e.includes('node_modules/') || e.endsWith('.ts'))).toEqual([]);
      expect(statSync(zip).size).toBeLessThan(BUNDLE_LIMIT_BYTES);
    }
  });
});

describe('queues', () => {
  const mappings = () =>
    resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);

  it('reports batch item failures and caps concurrency on every SQS source', () => {
    expect(mappings()).toHaveLength(5);
    for (const mapping of mappings()) {
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.ScalingConfig.MaximumConcurrency).toBeGreaterThanOrEqual(2);
      expect(mapping.BatchSize).toBeGreaterThanOrEqual(1);
      expect(mapping.MaximumBatchingWindowInSeconds).toBeDefined();
    }
  });

  it('gives every work queue a dead-letter queue, and a visibility timeout of 6x its function timeout', () => {
    for (const mapping of mappings()) {
      const queue = template.Resources[logicalIdOf(mapping.EventSourceArn)!]!;
      const fn = template.Resources[logicalIdOf(mapping.FunctionName)!]!;
      const dlqId = logicalIdOf(queue.Properties.RedrivePolicy.deadLetterTargetArn)!;
      expect(template.Resources[dlqId]?.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThan(1);
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
    }
  });

  it('alarms on the depth of every dead-letter queue', () => {
    const alarmed = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => {
      expect(alarm.Properties.MetricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(alarm.Properties.AlarmActions).toEqual([
        'arn:aws:sns:us-east-1:111122223333:s3-seal-test-alarms',
      ]);
      return logicalIdOf(alarm.Properties.Dimensions[0].Value)!;
    });
    const deadLetterQueues = resourcesOfType(template, 'AWS::SQS::Queue')
      .filter(([, q]) => q.Properties.QueueName.endsWith('-dlq'))
      .map(([id]) => id);
    // five work queues (the large-object one served by `s3-seal worker`), the transparency log's
    // queue, and the planner's failures
    expect(deadLetterQueues).toHaveLength(7);
    expect(alarmed.sort()).toEqual(deadLetterQueues.sort());
  });

  it('leaves the large-object queue to s3-seal worker: no Lambda reads it; scan, encrypt, events, rewrap and the planner (small plans) hand chunks to it', () => {
    expect(mappings().map((m) => logicalIdOf(m.EventSourceArn))).not.toContain('LargeQueue');
    const large = template.Resources.LargeQueue!.Properties;
    expect(logicalIdOf(large.RedrivePolicy.deadLetterTargetArn)).toBe('LargeDeadLetterQueue');
    const senders = roleStatements()
      .filter((s) => asList(s.Action).includes('sqs:SendMessage'))
      .filter((s) => asList(s.Resource).some((r: Json) => logicalIdOf(r) === 'LargeQueue'))
      .map((s) => s.roleId);
    expect(senders.sort()).toEqual([
      'EncryptRole',
      'EventsRole',
      'RewrapPlannerRole',
      'RewrapRole',
      'ScanRole',
    ]);
  });

  it('lets only the configured buckets, in this account, send notifications to the events queue', () => {
    const [[, policy]] = resourcesOfType(template, 'AWS::SQS::QueuePolicy') as [[string, Json]];
    const [statement] = policy.Properties.PolicyDocument.Statement;
    expect(statement.Principal).toEqual({ Service: 's3.amazonaws.com' });
    expect(statement.Action).toBe('sqs:SendMessage');
    expect(statement.Condition.ArnLike['aws:SourceArn']).toEqual(BUCKETS.map((b) => `arn:aws:s3:::${b}`));
    expect(statement.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
  });
});

describe('transparency log', () => {
  const sequencer = () => template.Resources.SequencerLambdaFunction!;
  const sequencerMapping = () =>
    resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
      .map(([, m]) => m.Properties)
      .find((m) => logicalIdOf(m.EventSourceArn) === 'TlogQueue');

  it('ships a sequencer bundle that loads as Lambda loads it, with nothing from this checkout', async () => {
    // Unpacked outside the project, so no import can fall back on its node_modules. Appending runs
    // against LocalStack in test/integration/transparency-log.test.ts.
    const dir = extractZip(join(packageDir, 'sequencer.zip'));
    const module = await import(pathToFileURL(join(dir, 'functions/sequencer/handler.mjs')).href);
    expect(typeof module.handler).toBe('function');
  });

  it('runs one sequencer at a time on the log queue, in batches that are whole assignments', () => {
    expect(sequencer().Properties.ReservedConcurrentExecutions).toBe(1);
    expect(logicalIdOf(sequencer().Properties.Role)).toBe('SequencerRole');
    const mapping = sequencerMapping()!;
    expect(logicalIdOf(mapping.FunctionName)).toBe('SequencerLambdaFunction');
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // The least maximum concurrency: at most one batch waits on the reserved concurrency of one.
    expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: 2 });
    // More than ten records per batch, which a standard queue allows only with a batching window.
    expect(mapping.BatchSize).toBeGreaterThan(10);
    expect(mapping.BatchSize % MAX_LEAVES_PER_ASSIGNMENT).toBe(0);
    expect(mapping.MaximumBatchingWindowInSeconds).toBeGreaterThanOrEqual(1);
    expect(mapping.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(10); // the log's lag: seconds
  });

  it('keeps a throttled or failed batch out of the dead-letter queue in normal operation', () => {
    const mapping = sequencerMapping()!;
    const queue = template.Resources.TlogQueue!.Properties;
    const timeout = sequencer().Properties.Timeout;
    // Lambda retries a throttled batch inside the visibility timeout: 6 x the function's timeout
    // (AWS guidance), counted from the end of the batching window.
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * timeout + mapping.MaximumBatchingWindowInSeconds,
    );
    // At least five receives (AWS guidance for throttled sources); ten span an hour of failures.
    expect(queue.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
    expect(queue.RedrivePolicy.maxReceiveCount * queue.VisibilityTimeout).toBeGreaterThanOrEqual(3600);
    expect(logicalIdOf(queue.RedrivePolicy.deadLetterTargetArn)).toBe('TlogDeadLetterQueue');
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.MessageRetentionPeriod).toBe(1209600);
  });

  it('signs with a P-256 key of its own, retained with the audit trail, only the sequencer may sign with', () => {
    const key = template.Resources.TlogSigningKey!;
    expect(key.Properties.KeySpec).toBe('ECC_NIST_P256');
    expect(key.Properties.KeyUsage).toBe('SIGN_VERIFY');
    expect(key.DeletionPolicy).toBe('Retain');
    // The policy deploy/iam-tlog.ts derives (its decisions: test/unit/deploy/iam-tlog.test.ts).
    expect(key.Properties.KeyPolicy).toEqual(signingKeyPolicy());
    const alias = template.Resources.TlogSigningKeyAlias!.Properties;
    expect(alias).toEqual({ AliasName: 'alias/s3-seal-test-tlog', TargetKeyId: { Ref: 'TlogSigningKey' } });
    expect(template.Outputs?.TlogKeyArn).toMatchObject({
      Value: { 'Fn::GetAtt': ['TlogSigningKey', 'Arn'] },
    });
    expect(template.Outputs?.TlogKeyAlias).toMatchObject({ Value: { Ref: 'TlogSigningKeyAlias' } });
  });

  it('tells every function the key, the queue and the prefix', () => {
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const env = fn.Properties.Environment.Variables;
      expect(env.S3SEAL_TLOG_KEY, id).toEqual({ 'Fn::GetAtt': ['TlogSigningKey', 'Arn'] });
      expect(env.S3SEAL_TLOG_QUEUE_URL, id).toEqual({ Ref: 'TlogQueue' });
      expect(env.S3SEAL_TLOG_PREFIX, id).toBe('tlog/');
    }
  });

  it('lets every function that commits chunks send to the log queue, and no other', () => {
    const senders = roleStatements()
      .filter((s) => asList(s.Action).includes('sqs:SendMessage'))
      .filter((s) => asList(s.Resource).some((r: Json) => logicalIdOf(r) === 'TlogQueue'))
      .map((s) => s.roleId);
    expect(senders.sort()).toEqual(['EncryptRole', 'EventsRole', 'RewrapRole', 'ScanRole']);
  });

  it("gives kms:Sign to the sequencer's role alone, on the stack's key, through its signing policy", () => {
    const signing = roleStatements().filter((s) => asList(s.Action).includes('kms:Sign'));
    expect(signing.map((s) => [s.roleId, s.policyId])).toEqual([['SequencerRole', 'SequencerSigningPolicy']]);
    expect(signing[0]!.Resource).toEqual([{ 'Fn::GetAtt': ['TlogSigningKey', 'Arn'] }]);
    expect(template.Resources.SequencerLambdaFunction!.DependsOn).toContain('SequencerSigningPolicy');
  });

  it('alarms on its dead-letter queue', () => {
    const alarm = template.Resources.TlogDeadLetterAlarm!.Properties;
    expect(logicalIdOf(alarm.Dimensions[0].Value)).toBe('TlogDeadLetterQueue');
    expect(alarm.Threshold).toBe(0);
  });
});

describe('template', () => {
  /** The resources a resource waits for: its Ref, GetAtt and Sub references and its DependsOn. */
  function dependencies(resource: Json, ids: Set<string>): string[] {
    const found = new Set<string>(asList(resource.DependsOn ?? []));
    const walk = (value: Json): void => {
      if (Array.isArray(value)) {
        for (const item of value) walk(item);
        return;
      }
      if (!value || typeof value !== 'object') return;
      for (const [key, inner] of Object.entries(value as Record<string, Json>)) {
        if (key === 'Ref') found.add(inner);
        else if (key === 'Fn::GetAtt') found.add(asList(inner)[0].split('.')[0]);
        else if (key === 'Fn::Sub') {
          const [text, vars] = Array.isArray(inner) ? inner : [inner, undefined];
          for (const match of String(text).matchAll(/\$\{([^}.!]+)/g)) found.add(match[1]!);
          walk(vars);
        } else walk(inner);
      }
    };
    walk(resource.Properties);
    return [...found].filter((id) => ids.has(id));
  }

  it('has no circular dependency (CloudFormation refuses one)', () => {
    const ids = new Set(Object.keys(template.Resources));
    const edges = new Map([...ids].map((id) => [id, dependencies(template.Resources[id], ids)]));
    const done = new Set<string>();
    const visit = (id: string, path: string[]): void => {
      if (path.includes(id))
        throw new Error(`circular: ${[...path.slice(path.indexOf(id)), id].join(' -> ')}`);
      if (done.has(id)) return;
      for (const next of edges.get(id)!) visit(next, [...path, id]);
      done.add(id);
    };
    for (const id of ids) expect(() => visit(id, [])).not.toThrow();
    // The key's policy names the sequencer's role, so the role must not name the key.
    expect(edges.get('TlogSigningKey')).toContain('SequencerRole');
  });
});

describe('tables', () => {
  it('has point-in-time recovery and on-demand billing on both tables, TTL on the ledger', () => {
    const tables = Object.fromEntries(resourcesOfType(template, 'AWS::DynamoDB::Table'));
    expect(Object.keys(tables).sort()).toEqual(['AuditTable', 'LedgerTable']);
    for (const table of Object.values(tables)) {
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
    expect(tables.LedgerTable!.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiresAt',
      Enabled: true,
    });
  });

  it('defines the ledger as setup does: keys only, no index (rotation reads the per-key manifests)', () => {
    const ledger = template.Resources.LedgerTable!;
    const [local] = tableDefinitions({ ledgerTable: 'ledger', auditTable: 'audit' });
    expect(ledger.Properties.AttributeDefinitions).toEqual(local!.AttributeDefinitions);
    expect(ledger.Properties.GlobalSecondaryIndexes).toBeUndefined();
    expect(local!.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('protects the audit trail from deletion: deletion protection, retained on stack removal, no TTL', () => {
    const audit = template.Resources.AuditTable!;
    expect(audit.Properties.DeletionProtectionEnabled).toBe(true);
    expect(audit.DeletionPolicy).toBe('Retain');
    expect(audit.UpdateReplacePolicy).toBe('Retain');
    expect(audit.Properties.TimeToLiveSpecification).toBeUndefined();
  });
});

describe('audit trail bucket', () => {
  it('locks every chunk log in compliance mode for the configured days, versioned, private and retained', () => {
    const buckets = Object.fromEntries(resourcesOfType(template, 'AWS::S3::Bucket'));
    // The framework's deployment bucket holds the zips; the audit trail has its own.
    expect(Object.keys(buckets).sort()).toEqual(['AuditTrailBucket', 'ServerlessDeploymentBucket']);
    const bucket = buckets.AuditTrailBucket!;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
    });
    // Object Lock needs versioning.
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(Object.values(bucket.Properties.PublicAccessBlockConfiguration)).toEqual([true, true, true, true]);
  });

  it('tells every function where the trail is, and the CLI through an output', () => {
    for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables.S3SEAL_AUDIT_BUCKET).toEqual({ Ref: 'AuditTrailBucket' });
      expect(fn.Properties.Environment.Variables.S3SEAL_AUDIT_PREFIX).toBe('audit/');
    }
    expect(template.Outputs?.AuditBucketName).toMatchObject({ Value: { Ref: 'AuditTrailBucket' } });
  });
});

describe('rotation triggers', () => {
  const rulesTargetingPlanner = () =>
    resourcesOfType(template, 'AWS::Events::Rule').filter(
      ([, rule]) => logicalIdOf(rule.Properties.Targets[0].Arn) === 'RewrapDashplannerLambdaFunction',
    );

  it('runs the planner on the configured schedule', () => {
    const schedules = rulesTargetingPlanner().map(([, rule]) => rule.Properties.ScheduleExpression);
    expect(schedules.filter(Boolean)).toEqual(['rate(1 day)']);
  });

  it('runs the planner on KMS key rotation events', () => {
    const patterns = rulesTargetingPlanner()
      .map(([, rule]) => rule.Properties.EventPattern)
      .filter(Boolean);
    expect(patterns).toEqual([{ source: ['aws.kms'], 'detail-type': ['KMS CMK Rotation'] }]);
  });

  it('tells each object handler its own timeout, which its claim lease follows', () => {
    for (const name of ['Encrypt', 'Events', 'Rewrap']) {
      const fn = template.Resources[`${name}LambdaFunction`]!.Properties;
      expect(fn.Environment.Variables.S3SEAL_FUNCTION_TIMEOUT_SECONDS, name).toBe(String(fn.Timeout));
    }
  });

  it('gives the planner its rotation policy and a dead-letter queue for failed invocations', () => {
    const planner = template.Resources.RewrapDashplannerLambdaFunction!.Properties;
    expect(planner.Environment.Variables.S3SEAL_ROTATION_MAX_KEY_AGE_DAYS).toBe('365');
    expect(planner.Environment.Variables.S3SEAL_ROTATION_ALIASES).toBe('alias/s3-seal-test');
    const invokeConfig = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig')[0]![1].Properties;
    expect(logicalIdOf(invokeConfig.DestinationConfig.OnFailure.Destination)).toBe(
      'RewrapPlannerDeadLetterQueue',
    );
  });
});

describe('IAM', () => {
  it('allows no wildcard action and no Resource "*"', () => {
    const statements = roleStatements();
    expect(statements.length).toBeGreaterThan(20);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asList(statement.Action)) expect(action, statement.Sid).not.toContain('*');
      for (const resource of asList(statement.Resource)) expect(resource, statement.Sid).not.toBe('*');
    }
  });

  it("scopes every KMS permission to configured key ARNs, and the sequencer's to the stack's signing key", () => {
    const kms = roleStatements().filter((s) => asList(s.Action).some((a: string) => a.startsWith('kms:')));
    expect(kms.length).toBeGreaterThan(0);
    for (const statement of kms) {
      if (statement.policyId === 'SequencerSigningPolicy') {
        expect(statement.Resource).toEqual([{ 'Fn::GetAtt': ['TlogSigningKey', 'Arn'] }]);
        continue;
      }
      for (const resource of asList(statement.Resource)) expect(CONFIGURED_KEYS).toContain(resource);
    }
  });

  it('binds the envelope key to the S3 Encryption Client context and SSE-KMS grants to S3', () => {
    const kms = roleStatements().filter(
      (s) =>
        asList(s.Action).some((a: string) => a.startsWith('kms:')) && s.policyId !== 'SequencerSigningPolicy', // the signing key wraps no data (checked above)
    );
    for (const statement of kms) {
      const actions = asList(statement.Action) as string[];
      if (actions.length === 1 && actions[0] === 'kms:DescribeKey') continue; // carries no context
      const conditions = statement.Condition?.StringEquals ?? {};
      expect(
        asList(conditions['kms:EncryptionContext:aws:x-amz-cek-alg'] ?? []).includes('115') ||
          'kms:ViaService' in conditions,
        `${statement.roleId} ${statement.Sid}`,
      ).toBe(true);
    }
    const envelopeKey = CONFIGURED_KEYS[2];
    const encrypt = roleStatements().filter((s) => s.roleId === 'EncryptRole');
    const ownGenerate = encrypt.find(
      (s) =>
        asList(s.Resource).includes(envelopeKey) &&
        s.Condition?.StringEquals?.['kms:EncryptionContext:aws:x-amz-cek-alg'],
    );
    expect(ownGenerate?.Action).toEqual(['kms:GenerateDataKey']);
    expect(ownGenerate?.Condition?.StringEquals?.['kms:EncryptionContext:aws:x-amz-cek-alg']).toEqual([
      '115',
      'AES/GCM/NoPadding',
    ]);
  });

  it('scopes S3 object actions to the configured buckets, the audit trail and the log to their prefixes', () => {
    const trail = { 'Fn::GetAtt': ['AuditTrailBucket', 'Arn'] };
    for (const statement of roleStatements()) {
      const actions = asList(statement.Action) as string[];
      if (!actions.some((a) => a.startsWith('s3:'))) continue;
      if (statement.Sid === 'TlogObjects' || statement.Sid === 'TlogList') {
        expect(statement.roleId).toBe('SequencerRole');
        if (statement.Sid === 'TlogObjects') {
          expect(statement.Resource).toEqual([{ 'Fn::Join': ['', [trail, '/tlog/*']] }]);
        } else {
          expect(statement.Resource).toEqual([trail]);
          expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': 'tlog/*' } });
        }
        continue;
      }
      if (statement.Sid === 'AuditTrailObjects') {
        expect(statement.Resource).toEqual([{ 'Fn::Join': ['', [trail, '/audit/*']] }]);
        continue;
      }
      if (statement.Sid === 'AuditTrailList') {
        expect(statement.Resource).toEqual([trail]);
        expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': 'audit/*' } });
        continue;
      }
      for (const resource of asList(statement.Resource) as string[]) {
        expect(
          BUCKETS.some((b) => resource === `arn:aws:s3:::${b}` || resource === `arn:aws:s3:::${b}/*`),
        ).toBe(true);
      }
    }
  });

  it('gives each function only the services its code calls', () => {
    // Every function writes and reads the audit trail (checked above); the rest is per function.
    const actionsOf = (roleId: string) =>
      new Set(
        roleStatements()
          .filter((s) => s.roleId === roleId && !String(s.Sid).startsWith('AuditTrail'))
          .flatMap((s) => asList(s.Action) as string[]),
      );
    const scan = actionsOf('ScanRole');
    expect([...scan].filter((a) => a.startsWith('kms:') || a === 's3:PutObject')).toEqual([]);
    const planner = actionsOf('RewrapPlannerRole');
    // The planner lists buckets and carries a moved watch's controls; it never touches an object.
    expect([...planner].filter((a) => a.startsWith('s3:')).sort()).toEqual([
      's3:GetBucketPolicy',
      's3:GetEncryptionConfiguration',
      's3:ListBucket',
      's3:PutBucketPolicy',
      's3:PutEncryptionConfiguration',
    ]);
    expect([...planner].filter((a) => a.startsWith('kms:'))).toEqual(['kms:DescribeKey']);
    const sequencer = actionsOf('SequencerRole');
    expect([...sequencer].filter((a) => !/^(logs|sqs|s3|kms):/.test(a)).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    expect([...sequencer].filter((a) => a.startsWith('kms:')).sort()).toEqual([
      'kms:GetPublicKey',
      'kms:Sign',
    ]);
    expect([...sequencer].filter((a) => a.startsWith('sqs:')).sort()).toEqual([
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    for (const roleId of [
      'EncryptRole',
      'EventsRole',
      'RewrapRole',
      'ScanRole',
      'RewrapPlannerRole',
      'SequencerRole',
    ]) {
      const actions = actionsOf(roleId);
      expect(actions.has('dynamodb:DeleteItem')).toBe(false);
      expect([...actions].filter((a) => a.startsWith('s3:Delete'))).toEqual([]);
    }
  });
});
