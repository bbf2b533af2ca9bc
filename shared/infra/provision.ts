import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ListTagsOfResourceCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ensureAuditBucket } from '../chunks/audit-bucket.js';
import type { Config } from '../config.js';
import { RetryableError } from '../errors.js';
import { QUEUES, type QueueName, queueName } from '../queues.js';
import { ensureSigningKey } from '../transparency/signing-key.js';

/**
 * Visibility timeouts match serverless.yml (6 x the consuming function's timeout, the AWS guidance
 * for Lambda event sources) so a message is never redelivered while its handler still runs.
 */
const VISIBILITY_SECONDS: Record<QueueName, number> = {
  scan: 360,
  encrypt: 1800,
  events: 1800,
  rewrap: 1800,
  // Served by `s3-seal worker` only, which keeps a job's message hidden while it works on it
  // (cli/large-object-handler.ts); this is the default a receive without its own timeout gets.
  large: 1800,
};
/**
 * After this many receives a message goes to its dead-letter queue. Ten backed-off retries span more
 * than the ledger's 15-minute lease, so a job whose claimant crashed is retried, not dead-lettered.
 */
export const MAX_RECEIVE_COUNT = 10;
const FOURTEEN_DAYS = 14 * 24 * 3600;

export interface ProvisionedResource {
  kind: 'queue' | 'dlq' | 'table' | 'bucket' | 'key';
  name: string;
  id: string;
  status: 'created' | 'exists';
  /** What a person should know about it (the audit bucket's Object Lock and retention). */
  note?: string;
}

/**
 * Creates a queue unless one of that name exists. An existing queue is used as it is, never
 * reconfigured: on AWS the stack (serverless.yml) owns the queues, and CreateQueue against a queue
 * whose attributes differ (SSE, a tuned timeout) would fail instead of finding it.
 */
async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; status: ProvisionedResource['status'] }> {
  try {
    const existing = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    return { url: existing.QueueUrl!, status: 'exists' };
  } catch (error) {
    if (!isMissingQueue(error)) throw error;
  }
  // Two setups racing: CreateQueue returns the other's queue when the attributes match.
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return { url: out.QueueUrl!, status: 'created' };
}

function isMissingQueue(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue';
}

export async function ensureQueues(
  sqs: SQSClient,
  config: Pick<Config, 'queuePrefix'>,
): Promise<ProvisionedResource[]> {
  const resources: ProvisionedResource[] = [];
  for (const queue of QUEUES) {
    const name = queueName(config, queue);
    const dlq = await ensureQueue(sqs, `${name}-dlq`, { MessageRetentionPeriod: String(FOURTEEN_DAYS) });
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.url, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    resources.push({ kind: 'dlq', name: `${name}-dlq`, id: dlq.url, status: dlq.status });
    const work = await ensureQueue(sqs, name, {
      VisibilityTimeout: String(VISIBILITY_SECONDS[queue]),
      MessageRetentionPeriod: String(FOURTEEN_DAYS),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
    });
    resources.push({ kind: 'queue', name, id: work.url, status: work.status });
  }
  return resources;
}

/** The ledger (also run records) and audit tables, as serverless.yml declares them. */
export function tableDefinitions(
  config: Pick<Config, 'ledgerTable' | 'auditTable'>,
): CreateTableCommandInput[] {
  const keys = {
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
  return [
    {
      TableName: config.ledgerTable,
      ...keys,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      // No index: rotation reads the per-key manifests in the audit bucket (docs/architecture.md,
      // "Manifests").
    },
    {
      TableName: config.auditTable,
      ...keys,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'runId', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byRun',
          KeySchema: [
            { AttributeName: 'runId', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    },
  ];
}

export async function ensureTables(
  dynamo: DynamoDBClient,
  config: Pick<Config, 'ledgerTable' | 'auditTable'>,
): Promise<ProvisionedResource[]> {
  const resources: ProvisionedResource[] = [];
  for (const definition of tableDefinitions(config)) {
    const name = definition.TableName!;
    // An existing table (the stack's, on AWS) is used as it is; only a missing one is created,
    // so running setup against a deployed stage needs no CreateTable permission.
    let arn = await describeTableArn(dynamo, name);
    let status: ProvisionedResource['status'] = 'exists';
    if (!arn) {
      try {
        await dynamo.send(new CreateTableCommand(definition));
        status = 'created';
      } catch (error) {
        if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
      }
    }
    // Also when it exists: another setup may have created it a moment ago.
    await waitUntilTableExists({ client: dynamo, maxWaitTime: 60 }, { TableName: name });
    arn ??= (await describeTableArn(dynamo, name)) ?? name;
    if (status === 'exists') await addMissingIndexes(dynamo, definition);
    if (name === config.ledgerTable) await ensureTimeToLive(dynamo, name, LEDGER_TTL_ATTRIBUTE);
    resources.push({ kind: 'table', name, id: arn, status });
  }
  return resources;
}

/**
 * The ledger table's items that expire carry their deletion time here, in epoch seconds: live
 * enforcement's one-event chunks and large-object progress reports (docs/architecture.md, "Chunk
 * ledger"). serverless.yml declares the same (TimeToLiveSpecification).
 */
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';

/**
 * Turns DynamoDB's TTL on for `attribute`, unless it is on already (a table CloudFormation owns
 * has it from the stack; a table an earlier setup made may not). An endpoint that answers the
 * update with "already enabled" is fine; one that does not let setup read the TTL is left alone.
 */
async function ensureTimeToLive(dynamo: DynamoDBClient, table: string, attribute: string): Promise<void> {
  try {
    const out = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: table }));
    const ttl = out.TimeToLiveDescription;
    if (ttl?.AttributeName === attribute && ['ENABLED', 'ENABLING'].includes(ttl.TimeToLiveStatus ?? ''))
      return;
  } catch (error) {
    if ((error as { name?: string }).name === 'AccessDeniedException') return;
  }
  try {
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  } catch (error) {
    const { name, message } = error as { name?: string; message?: string };
    if (name === 'ValidationException' && /already enabled/i.test(message ?? '')) return;
    throw error;
  }
}

/**
 * A table an earlier version created lacks the indexes added since (the sharded wrap index): add
 * them, one per UpdateTable (DynamoDB creates at most one index per call), and wait until they are
 * active. A table CloudFormation owns is left to the stack's deploy, which adds them itself.
 */
async function addMissingIndexes(dynamo: DynamoDBClient, definition: CreateTableCommandInput) {
  const name = definition.TableName!;
  const table = (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table;
  const present = new Set((table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const missing = (definition.GlobalSecondaryIndexes ?? []).filter((index) => !present.has(index.IndexName));
  if (missing.length === 0 || (table?.TableArn && (await ownedByStack(dynamo, table.TableArn)))) return;
  for (const index of missing) {
    const attributes = new Set(index.KeySchema?.map((key) => key.AttributeName));
    await dynamo.send(
      new UpdateTableCommand({
        TableName: name,
        AttributeDefinitions: definition.AttributeDefinitions?.filter((a) => attributes.has(a.AttributeName)),
        GlobalSecondaryIndexUpdates: [
          {
            Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection },
          },
        ],
      }),
    );
    await waitForIndex(dynamo, name, index.IndexName!);
  }
}

async function waitForIndex(dynamo: DynamoDBClient, table: string, index: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const out = await dynamo.send(new DescribeTableCommand({ TableName: table }));
    const status = out.Table?.GlobalSecondaryIndexes?.find((g) => g.IndexName === index)?.IndexStatus;
    if (status === 'ACTIVE' && out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new RetryableError(`index ${index} of ${table} did not become active in 10 minutes`);
}

async function ownedByStack(dynamo: DynamoDBClient, arn: string): Promise<boolean> {
  try {
    const out = await dynamo.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
    return (out.Tags ?? []).some((tag) => tag.Key === 'aws:cloudformation:stack-name');
  } catch {
    // No tag access (or an endpoint without tags): treat the table as ours, as setup created it.
    return false;
  }
}

async function describeTableArn(dynamo: DynamoDBClient, name: string): Promise<string | undefined> {
  try {
    return (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table?.TableArn ?? name;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/**
 * The audit trail in S3 (docs/architecture.md, "Audit trail in S3", "Transparency log"): the audit
 * bucket chunk logs and the transparency log go to, with Object Lock and `auditRetentionDays` of
 * compliance-mode default retention when it is created here (the local stack's default is a day,
 * config.ts; 0 gives none, for tests that must delete logs they wrote), and the KMS key that signs
 * the log's checkpoints.
 */
export async function ensureAuditTrail(
  clients: { s3: S3Client; kms: KMSClient },
  config: Pick<Config, 'auditLocation' | 'auditRetentionDays' | 'transparencyLog'>,
): Promise<ProvisionedResource[]> {
  const state = await ensureAuditBucket(clients.s3, config.auditLocation, {
    retentionDays: config.auditRetentionDays,
  });
  const lock = state.objectLock
    ? `Object Lock${state.retentionDays !== undefined ? `, ${state.retentionDays}-day compliance retention` : ''}`
    : 'no Object Lock';
  const log = config.transparencyLog;
  const key = await ensureSigningKey(clients.kms, log.keyId);
  return [
    {
      kind: 'bucket',
      name: state.bucket,
      id: `s3://${state.bucket}/${config.auditLocation.prefix}`,
      status: state.status,
      note: state.reason ? `${lock}: ${state.reason}` : lock,
    },
    {
      kind: 'key',
      name: log.keyId,
      id: key.keyArn,
      status: key.status,
      note: `signs the transparency log ${log.origin} (s3://${log.bucket}/${log.prefix})`,
    },
  ];
}
