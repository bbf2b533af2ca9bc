import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../errors.js';
import { otherKmsKeysOption, resolvePolicy } from '../jobs/start-run.js';
import { type Plan, planRun } from '../plan/plan-run.js';
import type { ProtectionPolicy } from '../policy.js';
import { mapBounded } from './bounded-map.js';
import { type BucketControls, readBucketControls } from './bucket-controls.js';
import { bucketErrorReason } from './bucket-error.js';
import type { BucketFilter } from './bucket-filter.js';
import { type ControlGap, controlGaps } from './control-gaps.js';
import { findLatestInventory } from './inventory-discovery.js';
import { KeyArns } from './key-arns.js';
import { RegionalS3 } from './regional-s3.js';
import { type ObjectSample, planFromSample } from './sampled-listing.js';
import { selectBuckets } from './select-buckets.js';

export interface EstatePlanRequest {
  filter: BucketFilter;
  mode: string;
  key?: string;
  /** sse-kms: what becomes of objects under another KMS key (`rekey`, the default, or `leave`). */
  otherKmsKeys?: string;
  /** Buckets planned at once. */
  bucketConcurrency: number;
  /** HEADs in flight at once within one bucket. */
  concurrency: number;
  /** Use a bucket's configured S3 Inventory when it has delivered a report (else list). */
  useInventory: boolean;
  /** Inventory plans: rows HEADed per state the inventory cannot settle. */
  sampleSize: number;
  /** Listing plans: HEAD a random sample of this many current objects of a larger bucket. */
  sampleObjects?: number;
  lambdaConcurrency: number;
  prefixPartitions: number;
  useUpdateObjectEncryption: boolean;
}

/** One bucket's line of the estate plan: its controls and, from its own plan, objects, cost and time. */
export interface EstateBucketPlan {
  bucket: string;
  region?: string;
  /** Set when the bucket could not be planned: the reason, in place of everything below. */
  error?: string;
  controls?: BucketControls;
  /** The default encryption's key as an ARN, when it names one KMS could describe. */
  defaultKeyArn?: string;
  /** Write-time controls the bucket lacks for the policy. */
  lacks?: ControlGap[];
  plan?: Plan;
  /** Set when the objects were estimated from a HEAD sample (`--sample-objects`). */
  sample?: ObjectSample;
  /** Objects the run would write (protect, or a HEAD decides). */
  toFix?: number;
  notes: string[];
}

export interface EstatePlan {
  mode: ProtectionPolicy['mode'];
  keyArn?: string;
  filter: BucketFilter;
  buckets: EstateBucketPlan[];
  totals: {
    buckets: number;
    unreadable: number;
    objects: number;
    bytes: number;
    toFix: number;
    lackingControls: number;
    costUsd: number;
    /** The runs one after another: they share the account's Lambda concurrency and KMS quota. */
    seconds: number;
  };
}

const isWrite = (action: string) => action.startsWith('protect:') || action === 'head-decides';

/**
 * Plans every bucket the credentials can list and the filter selects, at most
 * `bucketConcurrency` at a time, reading only (docs/estate.md). A bucket that cannot be read
 * (access denied, deleted, another region's error) is its own row with the reason; the estate
 * plan itself fails only on bad input (mode, key) or when ListBuckets fails.
 */
export async function planEstate(
  deps: { s3: S3Client; kms: KMSClient },
  request: EstatePlanRequest,
): Promise<EstatePlan> {
  const resolved = await resolvePolicy(deps.kms, request.mode, request.key);
  const otherKmsKeys = otherKmsKeysOption(resolved.mode, request.otherKmsKeys);
  const policy: ProtectionPolicy = { ...resolved, ...(otherKmsKeys ? { otherKmsKeys } : {}) };
  const regional = new RegionalS3(deps.s3);
  const keys = new KeyArns(deps.kms);
  try {
    const selected = await selectBuckets(deps.s3, regional, request.filter, request.bucketConcurrency);
    const buckets = await mapBounded(selected, request.bucketConcurrency, async (bucket) => {
      if (bucket.error) return { bucket: bucket.name, region: bucket.region, error: bucket.error, notes: [] };
      try {
        return await planBucket(
          { s3: await regional.for(bucket.region), kms: deps.kms, keys },
          bucket,
          policy,
          request,
        );
      } catch (error) {
        return { bucket: bucket.name, region: bucket.region, error: bucketErrorReason(error), notes: [] };
      }
    });
    return {
      mode: policy.mode,
      keyArn: policy.keyArn,
      filter: request.filter,
      buckets,
      totals: totalsOf(buckets),
    };
  } finally {
    regional.destroy();
  }
}

async function planBucket(
  deps: { s3: S3Client; kms: KMSClient; keys: KeyArns },
  bucket: { name: string; region?: string },
  policy: ProtectionPolicy,
  request: EstatePlanRequest,
): Promise<EstateBucketPlan> {
  const controls = await readBucketControls(deps.s3, bucket.name);
  const configuredKey = controls.defaultEncryption?.kmsKeyId;
  const defaultKeyArn = configuredKey ? await deps.keys.resolve(configuredKey) : undefined;
  const notes = Object.entries(controls.unreadable).map(([control, why]) => `${control} unreadable: ${why}`);
  const base = {
    bucket: bucket.name,
    prefix: '',
    mode: policy.mode,
    key: policy.keyArn,
    ...(policy.otherKmsKeys ? { otherKmsKeys: policy.otherKmsKeys } : {}),
    lambdaConcurrency: request.lambdaConcurrency,
    prefixPartitions: request.prefixPartitions,
    sampleSize: request.sampleSize,
    concurrency: request.concurrency,
    useUpdateObjectEncryption: request.useUpdateObjectEncryption,
  };
  let plan: Plan | undefined;
  if (request.useInventory) {
    const found = await findLatestInventory(deps.s3, bucket.name).catch((error) => {
      notes.push(`inventory configuration unreadable (${describeError(error)}): listed instead`);
      return undefined;
    });
    if (found) {
      plan = await planRun(deps, { ...base, inventory: found.manifest }).catch((error) => {
        notes.push(`inventory ${found.manifest} unusable (${describeError(error)}): listed instead`);
        return undefined;
      });
      if (plan) notes.push(`from S3 Inventory "${found.configurationId}" delivered ${found.deliveredAt}`);
    }
  }
  let sample: ObjectSample | undefined;
  if (!plan && request.sampleObjects !== undefined) {
    const sampled = await planFromSample(deps.s3, base, policy, request.sampleObjects);
    if (sampled) ({ plan, sample } = sampled);
  }
  plan ??= await planRun(deps, base);
  const toFix = Object.entries(plan.byAction).reduce(
    (n, [action, a]) => (isWrite(action) ? n + a.count : n),
    0,
  );
  return {
    bucket: bucket.name,
    region: bucket.region,
    controls,
    ...(defaultKeyArn ? { defaultKeyArn } : {}),
    lacks: controlGaps(controls, policy, defaultKeyArn),
    plan,
    ...(sample ? { sample } : {}),
    toFix,
    notes,
  };
}

function totalsOf(buckets: EstateBucketPlan[]): EstatePlan['totals'] {
  const ok = buckets.filter((b) => b.plan);
  const sum = (f: (b: EstateBucketPlan) => number) => ok.reduce((n, b) => n + f(b), 0);
  return {
    buckets: buckets.length,
    unreadable: buckets.length - ok.length,
    objects: sum((b) => b.plan!.objects.count),
    bytes: sum((b) => b.plan!.objects.bytes),
    toFix: sum((b) => b.toFix ?? 0),
    lackingControls: ok.filter((b) => (b.lacks?.length ?? 0) > 0).length,
    costUsd: +sum((b) => b.plan!.cost.total).toFixed(4),
    seconds: sum((b) => b.plan!.projection.seconds),
  };
}
