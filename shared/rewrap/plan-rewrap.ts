import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { RewrapJob } from '../jobs/messages.js';
import { sendInBatches } from '../jobs/scan-page.js';
import { newRunId, type Run, type RunStore } from '../runs/run-store.js';
import { listObjectPages } from '../s3/list-objects.js';

export const WRAPPING_KEY_INDEX = 'byWrappingKey';

export interface RewrapPlanInput {
  bucket?: string;
  prefix: string;
  fromKeyArn: string;
  /** The same key as `fromKeyArn` after a rotation: re-wrap under its current key material. */
  toKeyArn: string;
  /** Only data keys wrapped before this time (ISO 8601): a rotation re-wraps what predates it. */
  wrappedBefore?: string;
  /**
   * List the bucket instead of querying the index: finds objects protected before the index
   * existed. Every object becomes a job; the rewrap handler skips those under other keys.
   */
  scan?: boolean;
  /** Why this run exists (CLI, rotation event, schedule policy), kept on the run record. */
  trigger?: string;
}

export interface PlanDeps {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  s3?: S3Client;
  runs: RunStore;
  ledgerTable: string;
  rewrapQueueUrl: string;
  now?: () => Date;
}

type Target = { bucket: string; key: string };

/**
 * Plans a re-wrap as a run: one rewrap job per object, enqueued in batches, with the run's
 * counters showing progress. Objects come from the ledger's index by wrapping key and wrap time
 * (a query, not a bucket listing, touching exactly the objects `fromKeyArn` wrapped), or with
 * `scan` from listing the bucket. With `skipEmpty`, a plan that finds nothing creates no run.
 */
export async function planRewrap(deps: PlanDeps, input: RewrapPlanInput): Promise<Run>;
export async function planRewrap(
  deps: PlanDeps,
  input: RewrapPlanInput,
  options: { skipEmpty: boolean },
): Promise<Run | undefined>;
export async function planRewrap(
  deps: PlanDeps,
  input: RewrapPlanInput,
  options: { skipEmpty?: boolean } = {},
): Promise<Run | undefined> {
  const now = deps.now ?? (() => new Date());
  const runId = newRunId();
  const wrappedBefore = input.wrappedBefore && new Date(input.wrappedBefore).toISOString();
  let run: Run | undefined;
  const ensureRun = async () => {
    run ??= await deps.runs.create({
      runId,
      bucket: input.bucket ?? '*',
      prefix: input.prefix,
      mode: 'rewrap',
      keyArn: input.toKeyArn,
      startedAt: now().toISOString(),
      ...(input.trigger ? { trigger: input.trigger } : {}),
    });
    return run;
  };
  if (!options.skipEmpty) await ensureRun();
  let planned = 0;
  for await (const targets of input.scan ? listBucket(deps, input) : queryIndex(deps, input)) {
    if (targets.length === 0) continue;
    await ensureRun();
    const jobs: RewrapJob[] = targets.map((target) => ({
      type: 'rewrap',
      runId,
      jobId: createHash('sha256')
        .update(`${runId}\0${target.bucket}\0${target.key}`)
        .digest('hex')
        .slice(0, 24),
      bucket: target.bucket,
      key: target.key,
      fromKeyArn: input.fromKeyArn,
      toKeyArn: input.toKeyArn,
      ...(wrappedBefore ? { wrappedBefore } : {}),
    }));
    await sendInBatches(deps.sqs, deps.rewrapQueueUrl, jobs);
    planned += jobs.length;
  }
  if (!run) return undefined;
  await deps.runs.addPage(runId, planned, true);
  return { ...run, discovered: planned, scanComplete: true };
}

async function* queryIndex(deps: PlanDeps, input: RewrapPlanInput): AsyncGenerator<Target[]> {
  const before = input.wrappedBefore && new Date(input.wrappedBefore).toISOString();
  const pages = paginateQuery(
    { client: deps.dynamo },
    {
      TableName: deps.ledgerTable,
      IndexName: WRAPPING_KEY_INDEX,
      KeyConditionExpression: before ? 'keyArn = :from AND wrappedAt < :before' : 'keyArn = :from',
      ExpressionAttributeValues: before
        ? { ':from': input.fromKeyArn, ':before': before }
        : { ':from': input.fromKeyArn },
    },
  );
  for await (const page of pages) {
    yield (page.Items ?? [])
      .filter((item) => item.operation === 'encrypt')
      .filter(
        (item) =>
          (!input.bucket || item.bucket === input.bucket) && String(item.key).startsWith(input.prefix),
      )
      .map((item) => ({ bucket: item.bucket as string, key: item.key as string }));
  }
}

async function* listBucket(deps: PlanDeps, input: RewrapPlanInput): AsyncGenerator<Target[]> {
  if (!deps.s3 || !input.bucket) throw new Error('a scan plan needs a bucket and an S3 client');
  const bucket = input.bucket;
  for await (const page of listObjectPages(deps.s3, { bucket, prefix: input.prefix })) {
    yield page.objects.map((object) => ({ bucket, key: object.key }));
  }
}
