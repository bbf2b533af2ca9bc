import { ConfigError } from '../../shared/errors.js';
import { planRun } from '../../shared/plan/plan-run.js';
import type { ProtectionMode } from '../../shared/policy.js';
import { parseS3Uri } from '../../shared/s3-uri.js';
import { formatPlan } from '../plan-report.js';
import { cliRuntime } from '../runtime.js';

interface PlanOptions {
  mode: ProtectionMode;
  key?: string;
  otherKmsKeys?: string;
  prefix?: string;
  inventory?: string;
  json?: boolean;
  lambdaConcurrency: number;
  prefixPartitions: number;
  sample: number;
  concurrency: number;
}

export async function planCommand(uri: string, options: PlanOptions): Promise<number> {
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
    concurrency: options.concurrency,
    useUpdateObjectEncryption: config.useUpdateObjectEncryption,
  });
  console.log(options.json ? JSON.stringify(plan, null, 2) : formatPlan(plan).join('\n'));
  return 0;
}
