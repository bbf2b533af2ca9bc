import { type Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../../shared/errors.js';
import { planRun } from '../../shared/plan/plan-run.js';
import { PRICES_AS_OF } from '../../shared/plan/prices.js';
import { PROTECTION_MODES, type ProtectionMode } from '../../shared/policy.js';
import { parseS3Uri } from '../../shared/s3-uri.js';
import { formatPlan } from '../plan-report.js';
import { cliRuntime } from '../runtime.js';

interface PlanOptions {
  mode: ProtectionMode;
  key?: string;
  prefix?: string;
  inventory?: string;
  json?: boolean;
  lambdaConcurrency: number;
  prefixPartitions: number;
  sample: number;
  concurrency: number;
}

/** A whole number within bounds, or commander's usage error naming the option (exit 1, nothing done). */
function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

async function planCommand(uri: string, options: PlanOptions): Promise<number> {
  const location = parseS3Uri(uri);
  if (options.prefix !== undefined && location.key !== '' && options.prefix !== location.key) {
    throw new ConfigError(`give the prefix once: ${uri} and --prefix ${options.prefix} differ`);
  }
  const { config, clients } = cliRuntime();
  const plan = await planRun(clients, {
    bucket: location.bucket,
    prefix: options.prefix ?? location.key,
    mode: options.mode,
    key: options.key,
    inventory: options.inventory,
    lambdaConcurrency: options.lambdaConcurrency,
    prefixPartitions: options.prefixPartitions,
    sampleSize: options.sample,
    concurrency: options.concurrency,
    useUpdateObjectEncryption: config.useUpdateObjectEncryption,
  });
  console.log(options.json ? JSON.stringify(plan, null, 2) : formatPlan(plan).join('\n'));
  return 0;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      'show what a run would do, request by request, what it would cost and how long it would take; writes nothing',
    )
    .argument('<s3-uri>', 's3://BUCKET[/PREFIX]')
    .addOption(
      new Option('--mode <mode>', 'protection mode the run would use')
        .choices(PROTECTION_MODES)
        .makeOptionMandatory(),
    )
    .option('--key <key>', 'KMS key id, key ARN, alias/NAME or alias ARN (envelope and sse-kms)')
    .option('--prefix <prefix>', 'only keys under this prefix (instead of s3://BUCKET/PREFIX)')
    .option(
      '--inventory <manifest>',
      'plan from an S3 Inventory report (s3://BUCKET/PATH/manifest.json, CSV or Parquet) instead of listing and HEADing every object',
    )
    .option('--json', 'print the plan as JSON')
    .option(
      '--lambda-concurrency <n>',
      'concurrent encrypt functions to project the duration at',
      wholeNumber(1, 100_000),
      1000,
    )
    .option(
      '--prefix-partitions <n>',
      'S3 prefix partitions the bucket has (each takes 3,500 writes/s)',
      wholeNumber(1, 100_000),
      1,
    )
    .option(
      '--sample <n>',
      'with --inventory: rows HEADed per state the inventory cannot settle (NOT-SSE, SSE-KMS without a key column)',
      wholeNumber(0, 100_000),
      100,
    )
    .option('--concurrency <n>', 'HEADs in flight at once', wholeNumber(1, 256), 16)
    .addHelpText(
      'after',
      `
Reads only: ListObjectsV2 / ListObjectVersions and a HEAD per object (without --inventory), or the
inventory's manifest and data files (MD5-checked against the manifest) plus a HEAD sample; KMS
DescribeKey for --key. Sends no PUT, COPY, DynamoDB write or SQS message.

Reports objects by state (unencrypted, SSE-S3, SSE-KMS under the key or another, DSSE-KMS, S3EC
V2/V3 envelopes, other client-side formats, SSE-C, archived), by storage class and by planned
action (from the same decision table a run uses), plaintext noncurrent versions, requests by
service, the modelled cost at us-east-1 list prices as of ${PRICES_AS_OF}, and the projected
duration at --lambda-concurrency with the limiting component named (docs in README, "Large buckets").`,
    )
    .action(async (uri: string, options: PlanOptions) => {
      process.exitCode = await planCommand(uri, options);
    });
}
