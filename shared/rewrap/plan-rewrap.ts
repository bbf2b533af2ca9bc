import type { KMSClient } from '@aws-sdk/client-kms';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfigError } from '../errors.js';
import { dataFileMessages, readRunInventory } from '../inventory/run-inventory.js';
import type { RewrapInventoryFileMessage, RewrapPlanPageMessage } from '../jobs/messages.js';
import { sendInBatches } from '../jobs/scan-page.js';
import { assertBucketReachable } from '../jobs/start-run.js';
import { logger } from '../logger.js';
import type { ManifestEntry } from '../manifests/manifest-entry.js';
import { newRunId, type Run, type RunStore } from '../runs/run-store.js';
import { listObjectPages } from '../s3/list-objects.js';
import { carryWriteTimeControls } from '../watch/moved-watch-controls.js';
import { earlierMovesOf, moveWatches, type WatchMove, watchMovesFor } from '../watch/watch-moves.js';
import { WatchPolicyStore } from '../watch/watch-policy.js';
import { candidatesByBucket } from './manifest-candidates.js';
import { manifestPages, manifestsToPlan } from './manifest-plan.js';
import { queueManifestPage } from './plan-page.js';
import { queueRewrapChunks, type RewrapChunkDeps } from './rewrap-chunks.js';

export interface RewrapPlanInput {
  bucket?: string;
  prefix: string;
  fromKeyArn: string;
  /** The same key as `fromKeyArn` after a rotation: re-wrap under its current key material. */
  toKeyArn: string;
  /** Only data keys wrapped before this time (ISO 8601): a rotation re-wraps what predates it. */
  wrappedBefore?: string;
  /**
   * List the bucket instead of reading the key's manifests: finds objects no run recorded under
   * the key. Every object becomes an intent; its HEAD skips those under other keys.
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

export interface PlanDeps extends RewrapChunkDeps {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  runs: RunStore;
  ledgerTable: string;
  /** Manifest plans chain their pages through the scan queue, as listings do. */
  scanQueueUrl: string;
  now?: () => Date;
  /** Reads the key behind a bucket's default encryption when a moved watch's controls follow it. */
  kms: KMSClient;
  /**
   * Where each change to a moved watch's write-time controls is said, before and after it is made:
   * the CLI prints it; by default (the planner function) it is logged.
   */
  reportControlChange?: (line: string) => void;
}

/** A planned run; `chains`: the manifests (or inventory data files) whose messages will find its objects. */
export type PlannedRun = Run & { chains: number };

/**
 * Plans of at most this many manifest entries (the manifests' `objects`, summed) are read by the
 * planner itself: each object is queued once, from its newest manifest, and the count is known at
 * once. Larger plans chain one page message per manifest member through the scan queue.
 */
export const INLINE_PLAN_OBJECTS = 10_000;

/**
 * What a plan has enqueued, for the CLI: the count once known, or the chains still finding
 * objects (the run's `discovered` grows as they go).
 */
export function describePlanned(run: PlannedRun, source: 'manifests' | 'inventory' = 'manifests'): string {
  if (run.scanComplete) return `re-wrapping ${run.discovered} object(s)`;
  return source === 'inventory'
    ? `re-wrapping the objects of ${run.chains} inventory data file(s)`
    : `re-wrapping the objects ${run.chains} manifest chain(s) find`;
}

/**
 * Plans a re-wrap as a run (docs/architecture.md, "Manifests"). By default from the
 * manifests of `fromKeyArn`, newest run first: a small plan is read and queued here, a large one
 * gets a chain of plan pages per manifest on the scan queue (see rewrapPlanPage), so a plan of any
 * size survives any one invocation's timeout; the run's scan completes when every chain has. With
 * `scan`, the bucket is listed here instead; with `inventory`, one scan message per data file.
 * With `skipEmpty`, a plan that finds nothing creates no run.
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
  if (input.bucket) await assertBucketReachable(deps.s3, input.bucket);
  // So is a watch the re-wrap cannot carry along (watchMovesFor says which and why).
  const watches = new WatchPolicyStore(deps.dynamo, deps.ledgerTable, 0);
  const watchesNow =
    input.fromKeyArn === input.toKeyArn
      ? []
      : input.bucket
        ? await watches.forBucket(input.bucket)
        : await watches.all();
  const moves = watchMovesFor(watchesNow, input);
  // Each moved watch's write-time controls follow it to B: left under A, its deny statements would
  // refuse this run's own copies under B, and its default would keep new uploads under A.
  const carry = (moved: WatchMove[]) =>
    carryWriteTimeControls(
      { s3: deps.s3, kms: deps.kms, watches },
      moved,
      deps.reportControlChange ?? ((line) => logger.info(line, { runId })),
    );
  // Those of watches an earlier plan of this move took along are carried now, whether or not this
  // plan records a run: that finishes a carry an earlier attempt left undone (earlierMovesOf).
  await carry(earlierMovesOf(watchesNow, input));
  // The watches move with the run's start, once nothing can refuse it any more: new uploads go
  // under the target from then on, and the run record keeps which watches moved.
  const createRun = async () => {
    const watchesMoved = await moveWatches(watches, moves, runId, now());
    await carry(watchesMoved);
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
  if (input.scan) return planByListing(deps, { ...input, wrappedBefore }, runId, createRun, mayskip);
  const plan = { ...input, wrappedBefore, runId };
  const manifests = await manifestsToPlan(deps.s3, deps.location, input.fromKeyArn, wrappedBefore);
  const entries = manifests.reduce((sum, manifest) => sum + manifest.objects, 0);
  if (entries <= INLINE_PLAN_OBJECTS) {
    const pages = await readInline(
      deps,
      plan,
      manifests.map((manifest) => manifest.key),
    );
    if (pages.length === 0 && mayskip) return undefined;
    const run = await createRun();
    let planned = 0;
    for (const { manifest, page, entries: kept } of pages) {
      planned += await queueManifestPage(deps, { ...plan, manifest }, kept, page);
    }
    await deps.runs.addPage(runId, planned, true);
    return { ...run, discovered: planned, scanComplete: true, chains: 0 };
  }
  const run = await createRun();
  const heads: RewrapPlanPageMessage[] = manifests.map((manifest, chain) => ({
    type: 'rewrap-plan',
    runId,
    ...(input.bucket ? { bucket: input.bucket } : {}),
    prefix: input.prefix,
    fromKeyArn: input.fromKeyArn,
    toKeyArn: input.toKeyArn,
    ...(wrappedBefore ? { wrappedBefore } : {}),
    manifest: manifest.key,
    chain,
    chains: manifests.length,
    page: 1,
    offset: 0,
  }));
  await sendInBatches(deps.sqs, deps.scanQueueUrl, heads);
  return { ...run, chains: heads.length };
}

/**
 * A small plan's manifests read here, newest first: each page keeps only candidates no newer
 * manifest named (an object's newest entry is its current one), so each object is queued once.
 */
async function readInline(
  deps: PlanDeps,
  plan: RewrapPlanInput & { wrappedBefore?: string },
  manifestKeys: string[],
): Promise<Array<{ manifest: string; page: number; entries: ManifestEntry[] }>> {
  const seen = new Set<string>();
  const pages: Array<{ manifest: string; page: number; entries: ManifestEntry[] }> = [];
  for (const manifest of manifestKeys) {
    for await (const { page, entries } of manifestPages(deps.s3, deps.location, manifest)) {
      const kept = entries.filter((entry) => {
        const id = `${entry.bucket}/${entry.key}`;
        const first = !seen.has(id);
        seen.add(id);
        return first;
      });
      if ([...candidatesByBucket(kept, plan).values()].some((intents) => intents.length > 0)) {
        pages.push({ manifest, page, entries: kept });
      }
    }
  }
  return pages;
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
  if (!input.bucket) throw new ConfigError('an --inventory re-wrap needs a bucket (s3://BUCKET/…)');
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

/**
 * The `--scan` fallback: lists the bucket here and queues each listing page as `rewrap-chunk`
 * messages (its membership fixed like a scan page's), recorded whole.
 */
async function planByListing(
  deps: PlanDeps,
  input: RewrapPlanInput,
  runId: string,
  createRun: () => Promise<Run>,
  skipEmpty: boolean,
): Promise<PlannedRun | undefined> {
  if (!input.bucket) throw new ConfigError('a --scan re-wrap needs a bucket (s3://BUCKET/…)');
  const bucket = input.bucket;
  let run: Run | undefined = skipEmpty ? undefined : await createRun();
  let planned = 0;
  let page = 0;
  for await (const listed of listObjectPages(deps.s3, { bucket, prefix: input.prefix })) {
    page++;
    if (listed.objects.length === 0) continue;
    run ??= await createRun();
    const intents = listed.objects.map((object) => ({
      key: object.key,
      ...(object.etag ? { etag: object.etag } : {}),
      ...(object.size !== undefined ? { size: object.size } : {}),
    }));
    const fields = { runId, bucket, fromKeyArn: input.fromKeyArn, toKeyArn: input.toKeyArn };
    planned += await queueRewrapChunks(
      deps,
      input.wrappedBefore ? { ...fields, wrappedBefore: input.wrappedBefore } : fields,
      `scan:${bucket}:${page}`,
      intents,
    );
  }
  if (!run) return undefined;
  await deps.runs.addPage(runId, planned, true);
  return { ...run, discovered: planned, scanComplete: true, chains: 0 };
}
