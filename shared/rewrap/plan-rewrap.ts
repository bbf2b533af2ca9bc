import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConfigError } from '../errors.js';
import { dataFileMessages, readRunInventory } from '../inventory/run-inventory.js';
import type { RewrapInventoryFileMessage, RewrapJob, RewrapPlanPageMessage } from '../jobs/messages.js';
import { jobIdFor, sendInBatches } from '../jobs/scan-page.js';
import { assertBucketReachable } from '../jobs/start-run.js';
import { KeySummaries, objectsUpTo, sumOfKey, wrapMonth } from '../ledger/key-summaries.js';
import { allWrapShards, WRAP_KEY_INDEX, wrapKeyOf } from '../ledger/wrap-key.js';
import { PlanPages } from '../runs/plan-pages.js';
import { newRunId, type Run, type RunStore } from '../runs/run-store.js';
import { listObjectPages } from '../s3/list-objects.js';
import { moveWatches, type WatchMove, watchMovesFor } from '../watch/watch-moves.js';
import { WatchPolicyStore } from '../watch/watch-policy.js';

/** The sharded rotation index (docs/architecture.md, "Wrapping-key index"). */
export const WRAPPING_KEY_INDEX = WRAP_KEY_INDEX;

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
  /**
   * `s3://BUCKET/PATH/manifest.json`: enumerate from this S3 Inventory report instead, one scan
   * message per data file (docs/large-buckets.md, "`rewrap --inventory`"). Needs `bucket`.
   */
  inventory?: string;
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
  /** Index plans chain their pages through the scan queue, as listings do. */
  scanQueueUrl: string;
  now?: () => Date;
  /**
   * Called with the watches this plan moved, before its run is recorded and any job queued: the
   * CLI carries their write-time controls along (shared/watch/moved-watch-controls.ts).
   */
  afterWatchesMoved?: (moved: WatchMove[]) => Promise<void>;
}

/** A planned run; `chains`: the index shards (or inventory data files) whose messages will find its objects. */
export type PlannedRun = Run & { chains: number };

type Target = { bucket: string; key: string };

/**
 * What a plan has enqueued, for the CLI: the count once known, or the shard chains still finding
 * objects (the run's `discovered` grows as they go).
 */
export function describePlanned(run: PlannedRun, source: 'index' | 'inventory' = 'index'): string {
  if (run.scanComplete) return `re-wrapping ${run.discovered} object(s)`;
  return source === 'inventory'
    ? `re-wrapping the objects of ${run.chains} inventory data file(s)`
    : `re-wrapping the objects ${run.chains} index shard chain(s) find`;
}

/**
 * Plans a re-wrap as a run. From the index (the default): the key's summaries name the shards that
 * hold objects wrapped under `fromKeyArn` (before `wrappedBefore`), a one-item query confirms each,
 * and each confirmed shard gets a chain of plan pages on the scan queue that enqueue the rewrap jobs
 * (see rewrapPlanPage), so a plan of any size survives any one invocation's timeout; the run's scan
 * completes when every chain has. With `scan`, the bucket is listed here instead. With
 * `skipEmpty`, a plan that finds nothing creates no run.
 */
export async function planRewrap(deps: PlanDeps, input: RewrapPlanInput): Promise<PlannedRun>;
export async function planRewrap(
  deps: PlanDeps,
  input: RewrapPlanInput,
  options: { skipEmpty: boolean },
): Promise<PlannedRun | undefined>;
export async function planRewrap(
  deps: PlanDeps,
  input: RewrapPlanInput,
  options: { skipEmpty?: boolean } = {},
): Promise<PlannedRun | undefined> {
  const now = deps.now ?? (() => new Date());
  const runId = newRunId();
  const wrappedBefore = input.wrappedBefore && new Date(input.wrappedBefore).toISOString();
  if (input.scan && input.inventory) {
    throw new ConfigError('--scan lists the bucket and --inventory reads a report: give one of them');
  }
  // A missing bucket is refused before anything is recorded, whichever way the run is enumerated.
  if (input.bucket && deps.s3) await assertBucketReachable(deps.s3, input.bucket);
  // So is a watch the re-wrap cannot carry along (watchMovesFor says which and why).
  const watches = new WatchPolicyStore(deps.dynamo, deps.ledgerTable, 0);
  const moves = watchMovesFor(
    input.fromKeyArn === input.toKeyArn
      ? []
      : input.bucket
        ? await watches.forBucket(input.bucket)
        : await watches.all(),
    input,
  );
  // The watches move with the run's start, once nothing can refuse it any more: new uploads go
  // under the target from then on, and the run record keeps which watches moved.
  const createRun = async () => {
    const watchesMoved = await moveWatches(watches, moves, runId, now());
    if (watchesMoved.length > 0) await deps.afterWatchesMoved?.(watchesMoved);
    return deps.runs.create({
      runId,
      bucket: input.bucket ?? '*',
      prefix: input.prefix,
      mode: 'rewrap',
      keyArn: input.toKeyArn,
      fromKeyArn: input.fromKeyArn,
      startedAt: now().toISOString(),
      ...(input.trigger ? { trigger: input.trigger } : {}),
      ...(watchesMoved.length > 0 ? { watchesMoved } : {}),
    });
  };
  // A plan with no object to re-wrap still records its run when it moves a watch.
  const mayskip = options.skipEmpty === true && moves.length === 0;
  if (input.inventory) return planByInventory(deps, { ...input, inventory: input.inventory }, createRun);
  if (input.scan) return planByListing(deps, input, runId, createRun, mayskip);
  const shards = await shardsToPlan(deps, input.fromKeyArn, wrappedBefore);
  if (shards.length === 0 && mayskip) return undefined;
  const run = await createRun();
  const pages = new PlanPages(deps.dynamo, deps.ledgerTable);
  if (shards.length === 0) {
    await pages.completeAt(runId, 0);
    return { ...run, scanComplete: true, chains: 0 };
  }
  const heads: RewrapPlanPageMessage[] = shards.map((shard) => ({
    type: 'rewrap-plan',
    runId,
    ...(input.bucket ? { bucket: input.bucket } : {}),
    prefix: input.prefix,
    fromKeyArn: input.fromKeyArn,
    toKeyArn: input.toKeyArn,
    ...(wrappedBefore ? { wrappedBefore } : {}),
    shard,
    chains: shards.length,
    page: 1,
  }));
  await sendInBatches(deps.sqs, deps.scanQueueUrl, heads);
  return { ...run, chains: shards.length };
}

/**
 * The index shards of `keyArn` that hold an object wrapped before `wrappedBefore`. The key's
 * summaries, summed over all its items (a summary item's shard is the writing process's, not the
 * objects'), say whether the key may hold any such object (sums are upper bounds, by month); if so,
 * a one-item query of each index shard says which do. At most WRAP_KEY_SHARDS small queries, never a
 * scan (docs/architecture.md, "Wrapping-key index").
 */
export async function shardsToPlan(
  deps: Pick<PlanDeps, 'dynamo' | 'ledgerTable'>,
  keyArn: string,
  wrappedBefore?: string,
): Promise<number[]> {
  const lastMonth = wrappedBefore ? wrapMonth(wrappedBefore) : undefined;
  const summaries = await new KeySummaries(deps.dynamo, deps.ledgerTable).forKey(keyArn);
  const candidates = objectsUpTo(sumOfKey(summaries), lastMonth) > 0 ? allWrapShards() : [];
  const confirmed = await Promise.all(
    candidates.map(async (shard) => {
      const out = await deps.dynamo.send(
        new QueryCommand({
          TableName: deps.ledgerTable,
          IndexName: WRAP_KEY_INDEX,
          KeyConditionExpression: wrappedBefore
            ? 'wrapKey = :wrapKey AND wrappedAt < :before'
            : 'wrapKey = :wrapKey',
          ExpressionAttributeValues: {
            ':wrapKey': wrapKeyOf(keyArn, shard),
            ...(wrappedBefore ? { ':before': wrappedBefore } : {}),
          },
          Limit: 1,
        }),
      );
      return (out.Items ?? []).length > 0 ? shard : undefined;
    }),
  );
  return confirmed.filter((shard): shard is number => shard !== undefined);
}

/**
 * `--inventory`: the report is checked whole (manifest checksum, bucket, every data file's MD5)
 * before the run is recorded, then one scan message per data file makes its rows rewrap jobs
 * (rewrapInventoryFilePage), so enumeration runs in parallel and survives any one timeout.
 */
async function planByInventory(
  deps: PlanDeps,
  input: RewrapPlanInput & { inventory: string },
  createRun: () => Promise<Run>,
): Promise<PlannedRun> {
  if (!deps.s3 || !input.bucket)
    throw new ConfigError('an --inventory re-wrap needs a bucket (s3://BUCKET/…)');
  const manifest = await readRunInventory(deps.s3, input.inventory, input.bucket);
  const run = await createRun();
  const wrappedBefore = input.wrappedBefore && new Date(input.wrappedBefore).toISOString();
  const messages: RewrapInventoryFileMessage[] = dataFileMessages(manifest).map((file) => ({
    type: 'rewrap-inventory-file',
    runId: run.runId,
    bucket: input.bucket!,
    prefix: input.prefix,
    fromKeyArn: input.fromKeyArn,
    toKeyArn: input.toKeyArn,
    ...(wrappedBefore ? { wrappedBefore } : {}),
    ...file,
  }));
  await sendInBatches(deps.sqs, deps.scanQueueUrl, messages);
  return { ...run, chains: messages.length };
}

/** The `--scan` fallback: lists the bucket here and enqueues a job per object, recorded whole. */
async function planByListing(
  deps: PlanDeps,
  input: RewrapPlanInput,
  runId: string,
  createRun: () => Promise<Run>,
  skipEmpty: boolean,
): Promise<PlannedRun | undefined> {
  const wrappedBefore = input.wrappedBefore && new Date(input.wrappedBefore).toISOString();
  let run: Run | undefined = skipEmpty ? undefined : await createRun();
  let planned = 0;
  for await (const targets of listBucket(deps, input)) {
    if (targets.length === 0) continue;
    run ??= await createRun();
    const jobs: RewrapJob[] = targets.map((target) => ({
      type: 'rewrap',
      runId,
      jobId: jobIdFor(runId, target.bucket, target.key),
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
  return { ...run, discovered: planned, scanComplete: true, chains: 0 };
}

async function* listBucket(deps: PlanDeps, input: RewrapPlanInput): AsyncGenerator<Target[]> {
  if (!deps.s3 || !input.bucket) throw new Error('a scan plan needs a bucket and an S3 client');
  const bucket = input.bucket;
  for await (const page of listObjectPages(deps.s3, { bucket, prefix: input.prefix })) {
    yield page.objects.map((object) => ({ bucket, key: object.key }));
  }
}
