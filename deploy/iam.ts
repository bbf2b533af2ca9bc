import type { BucketConfig, DeployConfig } from './config.js';
import { encryptKms, plannerKms, rewrapKms, sseCustomerKeyDecrypt, VIA_S3 } from './iam-kms.js';
import type { Statement } from './iam-statement.js';
import { FEED_TRANSPARENCY_LOG, sequencerStatements } from './iam-tlog.js';

/**
 * One IAM role per function, holding exactly the calls that function's code makes (read from
 * functions/* and shared/*): a scan cannot touch KMS or write objects, an encrypt cannot plan a
 * rewrap, the planner cannot read objects. Resources are this stage's queues and tables, the
 * configured buckets and the configured key ARNs; no wildcard action and no `Resource: "*"`. The
 * transparency log's sequencer is the only one that signs (deploy/iam-tlog.ts).
 */

export type { CfnValue, Statement } from './iam-statement.js';

export const FUNCTIONS = ['scan', 'encrypt', 'events', 'rewrap', 'rewrap-planner', 'sequencer'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** CloudFormation logical id of a function's role: `rewrap-planner` -> `RewrapPlannerRole`. */
export function roleLogicalId(fn: FunctionName): string {
  return `${fn.replace(/(^|-)(\w)/g, (_, _dash, c: string) => c.toUpperCase())}Role`;
}

const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const queue = (name: 'Scan' | 'Encrypt' | 'Events' | 'Rewrap' | 'Large') => arnOf(`${name}Queue`);
const deadLetter = (name: 'Scan' | 'Encrypt' | 'Events' | 'Rewrap' | 'Large' | 'RewrapPlanner') =>
  arnOf(`${name}DeadLetterQueue`);
const ALL_DEAD_LETTERS = (['Scan', 'Encrypt', 'Events', 'Rewrap', 'Large'] as const).map(deadLetter);

/**
 * Reads and rewrites objects in place. Version variants because reads and copies pin the version
 * HEAD saw; tags and object lock settings are carried over (HEAD returns lock settings only with
 * Get*Retention/LegalHold); PutObject also covers multipart uploads and UploadPartCopy. Not granted:
 * DeleteObject* (old versions are reported, never deleted) and BypassGovernanceRetention.
 */
const OBJECT_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectTagging',
  's3:GetObjectVersionTagging',
  's3:GetObjectRetention',
  's3:GetObjectLegalHold',
  's3:PutObject',
  's3:PutObjectTagging',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:AbortMultipartUpload',
  // ListParts: a take-over resumes a crashed server-side copy's multipart upload from its parts.
  's3:ListMultipartUploadParts',
  // A rewrite drops ACL grants: they are read first, and put back with `--keep-acl` (docs/safety.md,
  // "What a rewrite carries").
  's3:GetObjectAcl',
  's3:GetObjectVersionAcl',
  's3:PutObjectAcl',
  's3:PutObjectVersionAcl',
];

const consume = (name: 'Scan' | 'Encrypt' | 'Events' | 'Rewrap'): Statement => ({
  // The event source mapping polls and deletes with the function's role; ChangeMessageVisibility
  // backs a failed record off (functions/sqs-batch.ts).
  Sid: 'ConsumeOwnQueue',
  Effect: 'Allow',
  Action: [
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:ChangeMessageVisibility',
  ],
  Resource: [queue(name)],
});

const ledger = (actions: string[]): Statement => ({
  Sid: 'Ledger',
  Effect: 'Allow',
  Action: actions.map((a) => `dynamodb:${a}`),
  Resource: [arnOf('LedgerTable')],
});

/**
 * The prefix of the audit trail in its bucket (S3SEAL_AUDIT_PREFIX, serverless.yml): the
 * functions' S3 access to the bucket is scoped to it.
 */
export const AUDIT_PREFIX = 'audit/';
export const AUDIT_BUCKET_ID = 'AuditTrailBucket';

/**
 * The audit trail in S3 (docs/architecture.md, "Audit trail in S3"): chunk logs and listing
 * records written once (PutObject with If-None-Match; a retried write reads the stored log back),
 * runs' logs listed and read at close and verify, manifests read by planning. No delete: Object
 * Lock would refuse it anyway, and a log once written is never replaced.
 */
const auditTrail: Statement[] = [
  {
    Sid: 'AuditTrailObjects',
    Effect: 'Allow',
    Action: ['s3:PutObject', 's3:GetObject'],
    Resource: [{ 'Fn::Join': ['', [arnOf(AUDIT_BUCKET_ID), `/${AUDIT_PREFIX}*`]] }],
  },
  {
    Sid: 'AuditTrailList',
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: [arnOf(AUDIT_BUCKET_ID)],
    Condition: { StringLike: { 's3:prefix': `${AUDIT_PREFIX}*` } },
  },
];

/**
 * Every handler resolves the five dead-letter queue URLs by name at cold start (shared/queues.ts):
 * GetQueueUrl on the DLQs only; work queue URLs come from the environment.
 */
const resolveDeadLetters: Statement = {
  Sid: 'ResolveDeadLetterQueues',
  Effect: 'Allow',
  Action: ['sqs:GetQueueUrl'],
  Resource: ALL_DEAD_LETTERS,
};

const logs = (functionName: string): Statement => ({
  Sid: 'OwnLogGroup',
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: [
    {
      'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName}:*`,
    },
  ],
});

const bucketArn = (bucket: BucketConfig) => `arn:aws:s3:::${bucket.name}`;

/** ListBucket lets HEAD of a deleted object answer 404, not 403: skipped as missing, not retried. */
const listBuckets = (config: DeployConfig): Statement => ({
  Sid: 'ListConfiguredBuckets',
  Effect: 'Allow',
  Action: ['s3:ListBucket'],
  Resource: config.buckets.map(bucketArn),
});

/**
 * An inventory-driven scan reads the configured reports' data files, and nothing else there, and
 * appends the audit records of rows it settles from the report (docs/large-buckets.md).
 */
function inventoryReads(config: DeployConfig): Statement[] {
  const reports = config.inventoryReports;
  if (reports.length === 0) return [];
  const statements: Statement[] = [
    {
      Sid: 'ReadInventoryReports',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: reports.map((r) => `arn:aws:s3:::${r.bucket}/${r.prefix}*`),
    },
  ];
  const keys = reports.flatMap((r) => (r.kmsKeyArn ? [r.kmsKeyArn] : []));
  if (keys.length > 0) {
    statements.push({
      Sid: 'DecryptInventoryReports',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: keys,
      Condition: VIA_S3,
    });
  }
  return statements;
}

function objectStatements(config: DeployConfig, fn: FunctionName): Statement[] {
  const statements: Statement[] = [
    {
      Sid: 'ReadAndRewriteObjects',
      Effect: 'Allow',
      Action: OBJECT_ACTIONS,
      Resource: config.buckets.map((b) => `${bucketArn(b)}/*`),
    },
    {
      // Whether the bucket has ACLs at all (most do not): only then are an object's grants read.
      Sid: 'ReadBucketOwnership',
      Effect: 'Allow',
      Action: ['s3:GetBucketOwnershipControls'],
      Resource: config.buckets.map(bucketArn),
    },
  ];
  // SSE-S3 to SSE-KMS (and SSE-KMS key changes) without moving data: sse-kms buckets, and for
  // rewrap envelope buckets too, where an envelope's own SSE-KMS layer moves off the source key.
  const updatable = config.buckets.filter(
    (b) => b.mode === 'sse-kms' || (fn === 'rewrap' && b.mode === 'envelope'),
  );
  if (updatable.length > 0) {
    statements.push({
      Sid: 'UpdateObjectEncryption',
      Effect: 'Allow',
      Action: ['s3:UpdateObjectEncryption'],
      Resource: updatable.map((b) => `${bucketArn(b)}/*`),
    });
  }
  return statements;
}

/** The statements of one function's role. */
export function functionStatements(
  fn: FunctionName,
  config: DeployConfig,
  functionName: string,
): Statement[] {
  if (fn === 'sequencer') return [logs(functionName), ...sequencerStatements()];
  const common = [logs(functionName), resolveDeadLetters, ...auditTrail];
  switch (fn) {
    case 'scan':
      return [
        ...common,
        consume('Scan'),
        // The page's objects (encrypt jobs, large ones to the large-object queue, or rewrap jobs of a
        // rewrap plan page), the next page, and malformed messages straight to the DLQ.
        {
          Sid: 'EnqueuePages',
          Effect: 'Allow',
          Action: ['sqs:SendMessage'],
          Resource: [queue('Scan'), queue('Encrypt'), queue('Rewrap'), queue('Large'), deadLetter('Scan')],
        },
        // Chunks of inventory rows settled from the report are committed here: their leaves.
        FEED_TRANSPARENCY_LOG,
        // Page markers, run counters, failure records; a run's tally shards (Query) to close it.
        ledger(['GetItem', 'PutItem', 'UpdateItem', 'Query']),
        listBuckets(config),
        ...inventoryReads(config),
      ];
    case 'encrypt':
    case 'events':
    case 'rewrap': {
      const name = fn === 'encrypt' ? 'Encrypt' : fn === 'events' ? 'Events' : 'Rewrap';
      return [
        ...common,
        consume(name),
        { Sid: 'DeadLetter', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [deadLetter(name)] },
        // An object too large for this function's time budget is handed to the worker's queue.
        {
          Sid: 'HandOffLargeObjects',
          Effect: 'Allow',
          Action: ['sqs:SendMessage'],
          Resource: [queue('Large')],
        },
        // The batch's committed chunks, and those a run's close finds without a leaf.
        FEED_TRANSPARENCY_LOG,
        // Chunk claims and commits with the run's tally shards (one transaction), failure records,
        // multipart upload state; a run's tally shards (Query) to close it and its chunk items
        // (Query per chunk shard) to compact its manifests, and the events handler's watch
        // policies (Query by bucket) and its daily watch run's record (a conditional PutItem,
        // docs/architecture.md, "Live enforcement runs").
        ledger(['GetItem', 'PutItem', 'UpdateItem', 'Query']),
        listBuckets(config),
        ...objectStatements(config, fn),
        ...(fn === 'rewrap' ? rewrapKms(config) : encryptKms(config)),
        ...(fn === 'encrypt' ? sseCustomerKeyDecrypt(config) : []),
      ];
    }
    case 'rewrap-planner':
      return [
        ...common,
        // Rewrap chunks (small and scan-fallback plans, large objects), the first page of each
        // manifest's plan chain (on the scan queue); its own DLQ is the destination of failed
        // asynchronous invocations.
        {
          Sid: 'EnqueueRewraps',
          Effect: 'Allow',
          Action: ['sqs:SendMessage'],
          Resource: [queue('Rewrap'), queue('Large'), queue('Scan'), deadLetter('RewrapPlanner')],
        },
        // Runs, alias targets, and the watch policies a re-wrap moves to its target key (a query of
        // the bucket's or the directory partition; conditional Puts in one transaction): no scan.
        ledger(['GetItem', 'PutItem', 'UpdateItem', 'Query']),
        // Scan-fallback plans list the bucket instead of reading the key manifests.
        listBuckets(config),
        // A plan that moves a watch carries its write-time controls to the target key: the
        // bucket's default encryption and s3-seal's own statements in its policy (docs/rotation.md).
        {
          Sid: 'CarryWatchControls',
          Effect: 'Allow',
          Action: [
            's3:GetEncryptionConfiguration',
            's3:PutEncryptionConfiguration',
            's3:GetBucketPolicy',
            's3:PutBucketPolicy',
          ],
          Resource: config.buckets.map(bucketArn),
        },
        ...plannerKms(config),
      ];
  }
}

/** The roles as CloudFormation resources, to merge into the template's Resources. */
export function functionRoles(
  config: DeployConfig,
  naming: { service: string; stage: string },
): Record<string, unknown> {
  return Object.fromEntries(
    FUNCTIONS.map((fn) => {
      const functionName = `${naming.service}-${naming.stage}-${fn}`;
      return [
        roleLogicalId(fn),
        {
          Type: 'AWS::IAM::Role',
          Properties: {
            Description: `${functionName}: least privilege for what its code calls`,
            AssumeRolePolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'lambda.amazonaws.com' },
                  Action: 'sts:AssumeRole',
                },
              ],
            },
            Policies: [
              {
                PolicyName: fn,
                PolicyDocument: {
                  Version: '2012-10-17',
                  Statement: functionStatements(fn, config, functionName),
                },
              },
            ],
          },
        },
      ];
    }),
  );
}
