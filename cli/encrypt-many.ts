import { ConfigError } from '../shared/errors.js';
import { bucketErrorReason } from '../shared/estate/bucket-error.js';
import type { BucketFilter } from '../shared/estate/bucket-filter.js';
import { describeFilter } from '../shared/estate/bucket-filter.js';
import { RegionalS3 } from '../shared/estate/regional-s3.js';
import { selectBuckets } from '../shared/estate/select-buckets.js';
import { assertBucketReachable, resolvePolicy } from '../shared/jobs/start-run.js';
import { displayS3Uri, type S3Location } from '../shared/s3-uri.js';
import { envelopeReadersNotice } from './envelope-readers.js';
import { DEFAULT_BUCKET_CONCURRENCY } from './estate-options.js';
import { cliRuntime } from './runtime.js';

/** What `encrypt` with several buckets (or --all-buckets) will do, decided before any run starts. */
export interface EncryptTargets {
  targets: S3Location[];
  /** Buckets --all-buckets selected but cannot start: the reason (they get no run). */
  skipped: Array<{ bucket: string; reason: string }>;
}

/**
 * The buckets to encrypt, checked before any run starts (docs/estate.md, "Encrypting an estate"):
 * the mode and key resolve, and every bucket named on the command line answers, so a typo starts
 * nothing. With --all-buckets, a bucket that does not answer is left out with its reason.
 */
export async function encryptTargets(
  uris: S3Location[],
  filter: BucketFilter | undefined,
  options: { mode: string; key?: string; bucketConcurrency?: number },
): Promise<EncryptTargets> {
  const { clients } = cliRuntime();
  await resolvePolicy(clients.kms, options.mode, options.key);
  const seen = new Set<string>();
  for (const uri of uris) {
    const name = displayS3Uri(uri);
    if (seen.has(name)) throw new ConfigError(`${name} is given twice`);
    seen.add(name);
  }
  if (!filter) {
    for (const uri of uris) await assertBucketReachable(clients.s3, uri.bucket);
    return { targets: uris, skipped: [] };
  }
  const regional = new RegionalS3(clients.s3);
  try {
    const selected = await selectBuckets(
      clients.s3,
      regional,
      filter,
      options.bucketConcurrency ?? DEFAULT_BUCKET_CONCURRENCY,
    );
    const skipped: EncryptTargets['skipped'] = [];
    const targets: S3Location[] = [];
    for (const bucket of selected) {
      if (bucket.error) skipped.push({ bucket: bucket.name, reason: bucket.error });
      else if (bucket.region && bucket.region !== (await clients.s3.config.region())) {
        // The pipeline's queues and functions live in one region; S3 server-side copies do too.
        skipped.push({
          bucket: bucket.name,
          reason: `in ${bucket.region}: run s3-seal against a stage there`,
        });
      } else {
        try {
          await assertBucketReachable(clients.s3, bucket.name);
          targets.push({ bucket: bucket.name, key: '' });
        } catch (error) {
          skipped.push({ bucket: bucket.name, reason: bucketErrorReason(error) });
        }
      }
    }
    return { targets, skipped };
  } finally {
    regional.destroy();
  }
}

/**
 * Says, before anything starts (and before --yes is asked for), which runs will start, which
 * buckets are left out, and what the runs do to data others read: under sse-kms, objects under
 * other KMS keys are re-keyed unless --other-kms-keys leave; envelope mode changes every reader.
 */
export function announceTargets(
  plan: EncryptTargets,
  options: { mode: string; key?: string; otherKmsKeys?: string; s3ecFormat?: string },
  filter: BucketFilter | undefined,
): void {
  const what = `${options.mode}${options.key ? ` under ${options.key}` : ''}`;
  console.error(
    `encrypt ${filter ? `--all-buckets (${describeFilter(filter)})` : 'several buckets'}: ${plan.targets.length} runs, ${what}, one per bucket:`,
  );
  for (const target of plan.targets) console.error(`  ${displayS3Uri(target)}`);
  for (const s of plan.skipped) console.error(`  not started: s3://${s.bucket}: ${s.reason}`);
  if (options.mode === 'sse-kms') {
    console.error(
      options.otherKmsKeys === 'leave'
        ? 'objects under other KMS keys: left where they are (--other-kms-keys leave)'
        : 'objects under other KMS keys: re-keyed onto the key, each source key recorded; applications that decrypt only with their own key then break (--other-kms-keys leave keeps them)',
    );
  }
  if (options.mode === 'envelope') {
    const format = options.s3ecFormat === 'v2' ? 'v2' : 'v3';
    console.error(envelopeReadersNotice(format).join('\n'));
  }
}
