import { createHash } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { RewrapJob } from '../jobs/messages.js';
import { sendInBatches } from '../jobs/scan-page.js';
import { newRunId, type Run, type RunStore } from '../runs/run-store.js';

export const WRAPPING_KEY_INDEX = 'byWrappingKey';

export interface RewrapPlanInput {
  bucket?: string;
  prefix: string;
  fromKeyArn: string;
  toKeyArn: string;
  /** Only data keys wrapped before this time (ISO 8601): a rotation re-wraps what predates it. */
  wrappedBefore?: string;
}

interface PlanDeps {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  runs: RunStore;
  ledgerTable: string;
  rewrapQueueUrl: string;
}

/**
 * Plans a re-wrap from the ledger's index by wrapping key and wrap time: a query, not a bucket
 * listing, so it touches exactly the objects whose data keys `fromKeyArn` wrapped. Enqueues one
 * rewrap job per object as a run whose counters show its progress.
 */
export async function planRewrap(deps: PlanDeps, input: RewrapPlanInput): Promise<Run> {
  const run = await deps.runs.create({
    runId: newRunId(),
    bucket: input.bucket ?? '*',
    prefix: input.prefix,
    mode: 'rewrap',
    keyArn: input.toKeyArn,
    startedAt: new Date().toISOString(),
  });
  const pages = paginateQuery(
    { client: deps.dynamo },
    {
      TableName: deps.ledgerTable,
      IndexName: WRAPPING_KEY_INDEX,
      KeyConditionExpression: input.wrappedBefore
        ? 'keyArn = :from AND wrappedAt < :before'
        : 'keyArn = :from',
      ExpressionAttributeValues: input.wrappedBefore
        ? { ':from': input.fromKeyArn, ':before': input.wrappedBefore }
        : { ':from': input.fromKeyArn },
    },
  );
  let planned = 0;
  for await (const page of pages) {
    const jobs: RewrapJob[] = (page.Items ?? [])
      .filter((item) => item.operation === 'encrypt')
      .filter(
        (item) =>
          (!input.bucket || item.bucket === input.bucket) && String(item.key).startsWith(input.prefix),
      )
      .map((item) => ({
        type: 'rewrap',
        runId: run.runId,
        jobId: createHash('sha256')
          .update(`${run.runId}\0${item.bucket}\0${item.key}`)
          .digest('hex')
          .slice(0, 24),
        bucket: item.bucket,
        key: item.key,
        fromKeyArn: input.fromKeyArn,
        toKeyArn: input.toKeyArn,
      }));
    await sendInBatches(deps.sqs, deps.rewrapQueueUrl, jobs);
    planned += jobs.length;
  }
  await deps.runs.addPage(run.runId, planned, true);
  return { ...run, discovered: planned, scanComplete: true };
}

export interface KeyUsage {
  keyArn: string;
  objects: number;
  oldestWrap: string;
  newestWrap: string;
}

/** Wrapping keys in use, from the index: how many objects each protects and since when. */
export async function wrappingKeysInUse(
  dynamo: DynamoDBDocumentClient,
  ledgerTable: string,
): Promise<KeyUsage[]> {
  const usage = new Map<string, KeyUsage>();
  for await (const page of paginateScan(
    { client: dynamo },
    { TableName: ledgerTable, IndexName: WRAPPING_KEY_INDEX },
  )) {
    for (const item of page.Items ?? []) {
      const found = usage.get(item.keyArn) ?? {
        keyArn: item.keyArn,
        objects: 0,
        oldestWrap: item.wrappedAt,
        newestWrap: item.wrappedAt,
      };
      found.objects++;
      if (item.wrappedAt < found.oldestWrap) found.oldestWrap = item.wrappedAt;
      if (item.wrappedAt > found.newestWrap) found.newestWrap = item.wrappedAt;
      usage.set(item.keyArn, found);
    }
  }
  return [...usage.values()].sort((a, b) => b.objects - a.objects);
}
