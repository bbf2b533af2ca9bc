import { SSE_C_KEY_CONTEXT } from '../shared/s3/sse-c-key.js';
import { type BucketConfig, bucketKeys, type DeployConfig } from './config.js';

/**
 * One IAM role per function, holding exactly the calls that function's code makes (read from
 * functions/* and shared/*): a scan cannot touch KMS or write objects, an encrypt cannot plan a
 * rewrap, the planner cannot read objects. Resources are this stage's queues and tables, the
 * configured buckets and the configured key ARNs; no wildcard action and no `Resource: "*"`.
 */

type CfnValue = string | Record<string, unknown>;

export interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: CfnValue[];
  Condition?: Record<string, Record<string, CfnValue>>;
}

export const FUNCTIONS = ['scan', 'encrypt', 'events', 'rewrap', 'rewrap-planner'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** CloudFormation logical id of a function's role: `rewrap-planner` -> `RewrapPlannerRole`. */
export function roleLogicalId(fn: FunctionName): string {
  return `${fn.replace(/(^|-)(\w)/g, (_, _dash, c: string) => c.toUpperCase())}Role`;
}

const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const indexOf = (table: string, index: string) => ({ 'Fn::Join': ['/', [arnOf(table), 'index', index]] });
const queue = (name: 'Scan' | 'Encrypt' | 'Events' | 'Rewrap') => arnOf(`${name}Queue`);
const deadLetter = (name: 'Scan' | 'Encrypt' | 'Events' | 'Rewrap' | 'RewrapPlanner') =>
  arnOf(`${name}DeadLetterQueue`);
const ALL_DEAD_LETTERS = (['Scan', 'Encrypt', 'Events', 'Rewrap'] as const).map(deadLetter);

/** The encryption context every S3EC V2 data key is bound to (shared/envelope/format.ts). */
const ENVELOPE_CONTEXT = { StringEquals: { 'kms:EncryptionContext:aws:x-amz-cek-alg': 'AES/GCM/NoPadding' } };
/** Only requests S3 makes for us, in this region (SSE-KMS reads and writes). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JS
const VIA_S3 = { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' } } };

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
  // A rewrite drops ACL grants: they are read first, and put back with `--keep-acl` (README,
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
 * Audit trail: append-only (a conditional Put inside the transaction that moves the object's chain
 * anchor on the ledger; never Update or Delete), and the run index, read to close a finished run.
 */
const audit: Statement[] = [
  { Sid: 'AuditAppend', Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: [arnOf('AuditTable')] },
  {
    Sid: 'AuditRunIndex',
    Effect: 'Allow',
    Action: ['dynamodb:Query'],
    Resource: [indexOf('AuditTable', 'byRun')],
  },
];

/**
 * Every handler resolves the four dead-letter queue URLs by name at cold start (shared/queues.ts):
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

/** An inventory-driven scan reads the configured reports' data files, and nothing else there. */
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

function objectStatements(config: DeployConfig): Statement[] {
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
  // SSE-S3 to SSE-KMS (and SSE-KMS key changes) without moving data: sse-kms buckets only.
  const sseKms = config.buckets.filter((b) => b.mode === 'sse-kms');
  if (sseKms.length > 0) {
    statements.push({
      Sid: 'UpdateObjectEncryption',
      Effect: 'Allow',
      Action: ['s3:UpdateObjectEncryption'],
      Resource: sseKms.map((b) => `${bucketArn(b)}/*`),
    });
  }
  return statements;
}

type KeyGrant = { actions: string[]; keys: string[]; condition: Statement['Condition'] };

/** Merges grants with the same actions and condition into one statement each, in a stable order. */
function kmsStatements(sid: string, grants: KeyGrant[]): Statement[] {
  const merged = new Map<string, KeyGrant>();
  for (const grant of grants) {
    if (grant.keys.length === 0) continue;
    const id = JSON.stringify([grant.actions, grant.condition]);
    const existing = merged.get(id);
    if (existing) existing.keys = [...new Set([...existing.keys, ...grant.keys])];
    else merged.set(id, { ...grant, keys: [...new Set(grant.keys)] });
  }
  return [...merged.values()].map((grant, i) => ({
    Sid: `${sid}${i + 1}`,
    Effect: 'Allow',
    Action: grant.actions.map((a) => `kms:${a}`),
    Resource: grant.keys,
    ...(grant.condition ? { Condition: grant.condition } : {}),
  }));
}

/**
 * KMS for the encrypt path (encrypt and events handlers):
 * - envelope: our own GenerateDataKey, always under the S3EC context (shared/envelope/seal-object.ts);
 *   the handlers never Decrypt (only the CLI's decrypt and verify do);
 * - sse-kms: S3 calls KMS for us. Copies in place need GenerateDataKey and Decrypt on the target
 *   key (multipart copies and S3 Bucket Keys), UpdateObjectEncryption also Encrypt; objects still
 *   under a previous key are read with Decrypt;
 * - envelope buckets whose objects are already SSE-KMS keep that layer beneath the envelope: S3
 *   decrypts the read and encrypts the write under the object's own key.
 */
function encryptKms(config: DeployConfig): Statement[] {
  const grants: KeyGrant[] = [];
  for (const bucket of config.buckets) {
    if (bucket.mode === 'envelope') {
      grants.push({ actions: ['GenerateDataKey'], keys: [bucket.kmsKeyArn!], condition: ENVELOPE_CONTEXT });
      grants.push({ actions: ['Decrypt', 'GenerateDataKey'], keys: bucketKeys(bucket), condition: VIA_S3 });
    } else if (bucket.mode === 'sse-kms') {
      grants.push({
        actions: ['Decrypt', 'Encrypt', 'GenerateDataKey'],
        keys: [bucket.kmsKeyArn!],
        condition: VIA_S3,
      });
      grants.push({ actions: ['Decrypt'], keys: bucket.previousKmsKeyArns, condition: VIA_S3 });
    }
  }
  return kmsStatements('Kms', grants);
}

/**
 * SSE-C migration: the encrypt handler decrypts the deployment's customer key blob once per cold
 * start (shared/s3/sse-c-key-source.ts), and only a blob under that purpose's encryption context.
 */
function sseCustomerKeyDecrypt(config: DeployConfig): Statement[] {
  if (!config.sseC) return [];
  return [
    {
      Sid: 'SseCustomerKeyDecrypt',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [config.sseC.kmsKeyArn],
      Condition: { StringEquals: { 'kms:EncryptionContext:purpose': SSE_C_KEY_CONTEXT.purpose } },
    },
  ];
}

/**
 * KMS for the rewrap handler:
 * - envelope: ReEncrypt of the wrapped data key with the S3EC context as source and destination
 *   (shared/kms/key-service.ts): ReEncryptFrom on every key the bucket's objects may be under
 *   (a retry also asks the target key, to learn the data key is already there), ReEncryptTo on
 *   the current key; the metadata-only copy keeps an SSE-KMS layer under its own key;
 * - sse-kms: S3 moves the object to the current key (UpdateObjectEncryption, or a copy in place):
 *   Decrypt and ReEncryptFrom on the source key, the full set on the current key (a rotation
 *   re-encrypts under the same key).
 */
function rewrapKms(config: DeployConfig): Statement[] {
  const grants: KeyGrant[] = [];
  for (const bucket of config.buckets) {
    if (bucket.mode === 'envelope') {
      grants.push({ actions: ['ReEncryptFrom'], keys: bucketKeys(bucket), condition: ENVELOPE_CONTEXT });
      grants.push({ actions: ['ReEncryptTo'], keys: [bucket.kmsKeyArn!], condition: ENVELOPE_CONTEXT });
      grants.push({ actions: ['Decrypt', 'GenerateDataKey'], keys: bucketKeys(bucket), condition: VIA_S3 });
    } else if (bucket.mode === 'sse-kms') {
      grants.push({
        actions: ['Decrypt', 'Encrypt', 'GenerateDataKey', 'ReEncryptFrom', 'ReEncryptTo'],
        keys: [bucket.kmsKeyArn!],
        condition: VIA_S3,
      });
      grants.push({
        actions: ['Decrypt', 'ReEncryptFrom'],
        keys: bucket.previousKmsKeyArns,
        condition: VIA_S3,
      });
    }
  }
  return kmsStatements('Kms', grants);
}

/**
 * The planner checks a target key is usable (DescribeKey) and resolves rotation aliases. KMS
 * authorises DescribeKey by alias on the key behind it, so a retargeted alias must point at a
 * configured key: add the new key to the config before moving the alias.
 */
function plannerKms(config: DeployConfig): Statement[] {
  return kmsStatements('Kms', [
    { actions: ['DescribeKey'], keys: config.buckets.flatMap(bucketKeys), condition: undefined },
  ]);
}

/** The statements of one function's role. */
export function functionStatements(
  fn: FunctionName,
  config: DeployConfig,
  functionName: string,
): Statement[] {
  const common = [logs(functionName), resolveDeadLetters];
  switch (fn) {
    case 'scan':
      return [
        ...common,
        consume('Scan'),
        // The page's objects, the next page, and malformed messages straight to the DLQ.
        {
          Sid: 'EnqueuePages',
          Effect: 'Allow',
          Action: ['sqs:SendMessage'],
          Resource: [queue('Scan'), queue('Encrypt'), deadLetter('Scan')],
        },
        // Page markers, run counters, failure records.
        ledger(['GetItem', 'PutItem', 'UpdateItem']),
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
        // Claims, decisions, wrap index, audit anchors (in the audit transaction), run counters,
        // failure records; the events handler also reads watch policies (Query by bucket).
        ledger(['GetItem', 'PutItem', 'UpdateItem', ...(fn === 'events' ? ['Query'] : [])]),
        ...audit,
        listBuckets(config),
        ...objectStatements(config),
        ...(fn === 'rewrap' ? rewrapKms(config) : encryptKms(config)),
        ...(fn === 'encrypt' ? sseCustomerKeyDecrypt(config) : []),
      ];
    }
    case 'rewrap-planner':
      return [
        ...common,
        // Rewrap jobs; its own DLQ is the destination of failed asynchronous invocations.
        {
          Sid: 'EnqueueRewraps',
          Effect: 'Allow',
          Action: ['sqs:SendMessage'],
          Resource: [queue('Rewrap'), deadLetter('RewrapPlanner')],
        },
        // Runs, alias targets; the wrap index is queried per key and scanned for keys in use.
        ledger(['GetItem', 'PutItem', 'UpdateItem']),
        {
          Sid: 'WrapIndex',
          Effect: 'Allow',
          Action: ['dynamodb:Query', 'dynamodb:Scan'],
          Resource: [indexOf('LedgerTable', 'byWrappingKey')],
        },
        // Scan-fallback plans list the bucket instead of querying the index.
        listBuckets(config),
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
