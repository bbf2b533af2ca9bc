import { DEFAULT_ENVELOPE_FORMAT } from '../../shared/envelope/format.js';
import { ConfigError } from '../../shared/errors.js';
import { planEstate } from '../../shared/estate/estate-plan.js';
import { type Plan, planRun } from '../../shared/plan/plan-run.js';
import type { ProtectionMode } from '../../shared/policy.js';
import { parseS3Uri } from '../../shared/s3-uri.js';
import { CIPHERTEXT_READERS, OFFICIAL_READERS } from '../envelope-readers.js';
import { DEFAULT_BUCKET_CONCURRENCY, type EstateOptions, estateFilter } from '../estate-options.js';
import { formatEstatePlan } from '../estate-report.js';
import { formatPlan } from '../plan-report.js';
import { cliRuntime } from '../runtime.js';

interface PlanOptions extends EstateOptions {
  mode: ProtectionMode;
  key?: string;
  otherKmsKeys?: string;
  prefix?: string;
  inventory?: string;
  json?: boolean;
  lambdaConcurrency: number;
  prefixPartitions: number;
  sample: number;
  sampleObjects?: number;
  headConcurrency: number;
}

export async function planCommand(uri: string | undefined, options: PlanOptions): Promise<number> {
  const filter = estateFilter(options);
  if (filter) {
    if (uri !== undefined) throw new ConfigError(`give s3://BUCKET or --all-buckets, not both (${uri})`);
    if (options.prefix !== undefined || options.inventory !== undefined) {
      throw new ConfigError('--prefix and --inventory name one bucket: not used with --all-buckets');
    }
    const { config, clients } = cliRuntime();
    const plan = await planEstate(clients, {
      filter,
      mode: options.mode,
      key: options.key,
      otherKmsKeys: options.otherKmsKeys,
      bucketConcurrency: options.bucketConcurrency ?? DEFAULT_BUCKET_CONCURRENCY,
      concurrency: options.headConcurrency,
      useInventory: true,
      sampleSize: options.sample,
      sampleObjects: options.sampleObjects,
      lambdaConcurrency: options.lambdaConcurrency,
      prefixPartitions: options.prefixPartitions,
      useUpdateObjectEncryption: config.useUpdateObjectEncryption,
    });
    console.log(options.json ? JSON.stringify(plan, null, 2) : formatEstatePlan(plan).join('\n'));
    return 0;
  }
  if (uri === undefined) throw new ConfigError('give s3://BUCKET[/PREFIX], or --all-buckets');
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
    otherKmsKeys: options.otherKmsKeys,
    inventory: options.inventory,
    lambdaConcurrency: options.lambdaConcurrency,
    prefixPartitions: options.prefixPartitions,
    sampleSize: options.sample,
    concurrency: options.headConcurrency,
    useUpdateObjectEncryption: config.useUpdateObjectEncryption,
  });
  if (options.json) console.log(JSON.stringify(withReaders(plan), null, 2));
  else console.log(formatPlan(plan).join('\n'));
  return 0;
}

/** An envelope plan says, for machines too, who can read the objects after the run. */
function withReaders(plan: Plan) {
  if (plan.mode !== 'envelope') return plan;
  const format = DEFAULT_ENVELOPE_FORMAT;
  return {
    ...plan,
    readers: {
      format,
      officialClients: OFFICIAL_READERS[format],
      ciphertextFor: CIPHERTEXT_READERS,
      undo: 's3-seal decrypt',
    },
  };
}
