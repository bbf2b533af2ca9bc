import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { assertBucketReachable } from '../jobs/start-run.js';
import { resolveUsableKey } from '../kms/key-service.js';
import type { ProtectionPolicy } from '../policy.js';
import { plaintextVersionsLeft } from '../s3/noncurrent-versions.js';
import type { SseCustomerKey } from '../s3/sse-c-key.js';
import { checkListing } from '../verify/check-listing.js';
import { objectChecker, type ProblemOf, type VerifyRequirement } from '../verify/object-problem.js';
import { mapBounded } from './bounded-map.js';
import { type BucketControls, readBucketControls } from './bucket-controls.js';
import { bucketErrorReason } from './bucket-error.js';
import type { BucketFilter } from './bucket-filter.js';
import { type ControlGap, controlGaps } from './control-gaps.js';
import { KeyArns } from './key-arns.js';
import { RegionalS3 } from './regional-s3.js';
import { selectBuckets } from './select-buckets.js';

/** Problems named per bucket; the counts are always complete. */
export const PROBLEMS_SHOWN = 10;
/** Noncurrent versions HEADed per bucket to count plaintext ones. */
const VERSIONS_CHECKED = 10_000;

export interface EstateVerifyRequest {
  filter: BucketFilter;
  requirement: VerifyRequirement;
  bucketConcurrency: number;
  concurrency: number;
  customerKey?: SseCustomerKey;
}

export interface BucketVerdict {
  bucket: string;
  region?: string;
  /** The bucket could not be verified: the reason. Such a bucket does not pass. */
  error?: string;
  controls?: BucketControls;
  defaultKeyArn?: string;
  /** With --mode: write-time controls the bucket lacks for it. */
  lacks?: ControlGap[];
  checked: number;
  compliant: number;
  notCompliant: number;
  /** Deleted between the listing and the HEAD. */
  gone: number;
  /** Plaintext noncurrent versions (s3-seal never deletes versions; reported, not failed). */
  plaintextVersions: number;
  /** The first {@link PROBLEMS_SHOWN} problems. */
  problems: Array<{ key: string; problem: string }>;
  /** Objects all compliant and the bucket readable (an empty bucket passes: nothing is unprotected). */
  passed: boolean;
}

export interface EstateVerdict {
  requirement: VerifyRequirement;
  filter: BucketFilter;
  buckets: BucketVerdict[];
  totals: { buckets: number; passed: number; unreadable: number; checked: number; notCompliant: number };
}

/**
 * `verify --all-buckets`: every selected bucket's current objects checked as `verify` checks one
 * bucket, and its controls read (docs/estate.md). A bucket that cannot be read is its own failing
 * row with the reason.
 */
export async function verifyEstate(
  deps: { s3: S3Client; kms: KMSClient },
  request: EstateVerifyRequest,
): Promise<EstateVerdict> {
  const problemOf = await objectChecker(deps.kms, request.requirement);
  const { mode, key } = request.requirement;
  const policy: ProtectionPolicy | undefined = mode
    ? { mode, keyArn: key ? await resolveUsableKey(deps.kms, key) : undefined }
    : undefined;
  const regional = new RegionalS3(deps.s3);
  const keys = new KeyArns(deps.kms);
  const empty = { checked: 0, compliant: 0, notCompliant: 0, gone: 0, plaintextVersions: 0, problems: [] };
  try {
    const selected = await selectBuckets(deps.s3, regional, request.filter, request.bucketConcurrency);
    const buckets = await mapBounded(
      selected,
      request.bucketConcurrency,
      async (bucket): Promise<BucketVerdict> => {
        const failed = (error: string) => ({
          bucket: bucket.name,
          region: bucket.region,
          error,
          ...empty,
          passed: false,
        });
        if (bucket.error) return failed(bucket.error);
        try {
          const s3 = await regional.for(bucket.region);
          return await verifyBucket({ s3, keys, problemOf }, bucket, policy, request);
        } catch (error) {
          return failed(bucketErrorReason(error));
        }
      },
    );
    const sum = (f: (b: BucketVerdict) => number) => buckets.reduce((n, b) => n + f(b), 0);
    return {
      requirement: { mode, key: policy?.keyArn ?? key, s3ecFormat: request.requirement.s3ecFormat },
      filter: request.filter,
      buckets,
      totals: {
        buckets: buckets.length,
        passed: buckets.filter((b) => b.passed).length,
        unreadable: buckets.filter((b) => b.error).length,
        checked: sum((b) => b.checked),
        notCompliant: sum((b) => b.notCompliant),
      },
    };
  } finally {
    regional.destroy();
  }
}

async function verifyBucket(
  deps: { s3: S3Client; keys: KeyArns; problemOf: ProblemOf },
  bucket: { name: string; region?: string },
  policy: ProtectionPolicy | undefined,
  request: EstateVerifyRequest,
): Promise<BucketVerdict> {
  const { s3 } = deps;
  await assertBucketReachable(s3, bucket.name);
  const controls = await readBucketControls(s3, bucket.name);
  const configuredKey = controls.defaultEncryption?.kmsKeyId;
  const defaultKeyArn = configuredKey ? await deps.keys.resolve(configuredKey) : undefined;
  const verdict: BucketVerdict = {
    bucket: bucket.name,
    region: bucket.region,
    controls,
    ...(defaultKeyArn ? { defaultKeyArn } : {}),
    ...(policy ? { lacks: controlGaps(controls, policy, defaultKeyArn) } : {}),
    checked: 0,
    compliant: 0,
    notCompliant: 0,
    gone: 0,
    plaintextVersions: 0,
    problems: [],
    passed: false,
  };
  const scope = {
    bucket: bucket.name,
    prefix: '',
    concurrency: request.concurrency,
    customerKey: request.customerKey,
  };
  for await (const group of checkListing(s3, scope, deps.problemOf)) {
    for (const object of group) {
      verdict.checked += 1;
      if (object.gone) verdict.gone += 1;
      else if (object.problem) {
        verdict.notCompliant += 1;
        if (verdict.problems.length < PROBLEMS_SHOWN)
          verdict.problems.push({ key: object.key, problem: object.problem });
      } else verdict.compliant += 1;
    }
  }
  const left = await plaintextVersionsLeft(s3, bucket.name, '', { limit: VERSIONS_CHECKED });
  verdict.plaintextVersions = left.plaintext.length;
  verdict.passed = verdict.notCompliant === 0;
  return verdict;
}
