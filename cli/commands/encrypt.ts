import { ConfigError } from '../../shared/errors.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { loadSseCustomerKeyFile, type SseCustomerKey } from '../../shared/s3/sse-c-key.js';
import { provideSseCustomerKey } from '../../shared/s3/sse-c-key-source.js';
import { displayS3Uri, parseS3Uri } from '../../shared/s3-uri.js';
import { announceTargets, encryptTargets } from '../encrypt-many.js';
import { envelopeReadersNotice } from '../envelope-readers.js';
import { type EstateOptions, estateFilter } from '../estate-options.js';
import { followRunLocally } from '../local-run.js';
import { printQueuedRun } from '../queued-run.js';
import { cliRuntime } from '../runtime.js';

export interface EncryptOptions extends EstateOptions {
  mode: string;
  key?: string;
  s3ecFormat?: string;
  upgradeFormat?: boolean;
  keepAcl?: boolean;
  otherKmsKeys?: string;
  inventory?: string;
  scanChains?: number;
  local?: boolean;
  pollers: number;
  progress?: boolean;
  sseCKeyFile?: string;
  /** With --all-buckets: start the runs (without it, only say which would start). */
  yes?: boolean;
}

/**
 * Starts a backfill run per bucket and, with --local, processes each here in turn; returns the
 * exit code (the worst of the runs'). One bucket is one run, as always; several buckets, or
 * --all-buckets, are checked and announced before the first run starts (docs/estate.md).
 */
export async function encryptCommand(uris: string[], options: EncryptOptions): Promise<number> {
  const filter = estateFilter(options);
  if (filter && uris.length > 0) throw new ConfigError('give s3://BUCKET... or --all-buckets, not both');
  if (!filter && uris.length === 0)
    throw new ConfigError('give s3://BUCKET[/PREFIX] (one or more), or --all-buckets');
  if (options.yes && !filter) throw new ConfigError('--yes is used only with --all-buckets');
  const locations = uris.map(parseS3Uri);
  const many = filter !== undefined || locations.length > 1;
  if (many && options.inventory)
    throw new ConfigError('--inventory is the report of one bucket: give one bucket');
  const customerKey = options.sseCKeyFile ? await loadSseCustomerKeyFile(options.sseCKeyFile) : undefined;
  try {
    if (!many)
      return (await startAndFollow(locations[0]!.bucket, locations[0]!.key, options, customerKey)).code;
    const plan = await encryptTargets(locations, filter, options);
    announceTargets(plan, options, filter);
    if (plan.targets.length === 0) {
      console.error('encrypt: no bucket to encrypt: nothing was started');
      return 1;
    }
    if (filter && !options.yes) {
      console.error(`encrypt: nothing was started; add --yes to start these ${plan.targets.length} runs`);
      return 1;
    }
    const results: Array<{ uri: string; runId: string; code: number }> = [];
    for (const target of plan.targets) {
      const { runId, code } = await startAndFollow(target.bucket, target.key, options, customerKey);
      results.push({ uri: displayS3Uri(target), runId, code });
    }
    console.error('\nruns:');
    for (const r of results) {
      const outcome = options.local ? (r.code === 0 ? 'complete' : `exit ${r.code}`) : 'queued';
      console.error(`  ${r.uri}  run ${r.runId}  ${outcome}`);
    }
    for (const s of plan.skipped) console.error(`  s3://${s.bucket}  not started: ${s.reason}`);
    return Math.max(plan.skipped.length > 0 ? 1 : 0, ...results.map((r) => r.code));
  } finally {
    customerKey?.destroy();
  }
}

async function startAndFollow(
  bucket: string,
  prefix: string,
  options: EncryptOptions,
  customerKey: SseCustomerKey | undefined,
): Promise<{ runId: string; code: number }> {
  const { config, clients, workQueues } = cliRuntime();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  // The same lookup a --local run's handlers use (handler-runtime.ts): each queue looked up once.
  const queues = await workQueues();
  const run = await startRun(
    {
      ...clients,
      runs,
      queues,
      auditLocation: config.auditLocation,
      transparencyLog: config.transparencyLog,
    },
    {
      bucket,
      prefix,
      mode: options.mode,
      key: options.key,
      format: options.s3ecFormat,
      upgradeFormat: options.upgradeFormat,
      keepAcl: options.keepAcl,
      otherKmsKeys: options.otherKmsKeys,
      sseCustomerKeyMd5: customerKey?.md5,
      inventory: options.inventory,
      // Inventory runs read data files, not listings: chains apply to listing runs only.
      scanChains: options.scanChains ?? (options.inventory ? undefined : config.scanChains),
      onAccepted: ({ format }) => {
        if (format) console.error(envelopeReadersNotice(format).join('\n'));
      },
    },
  );
  console.error(
    `run ${run.runId}: ${options.mode}${run.format ? ` (S3EC ${run.format}${run.upgradeFormat ? ', upgrading V2' : ''})` : ''}${run.keyArn ? ` under ${run.keyArn}` : ''} for s3://${bucket}/${prefix}${run.mode === 'sse-kms' ? `; objects under other KMS keys: ${run.otherKmsKeys === 'leave' ? 'left where they are' : 're-keyed (--other-kms-keys leave keeps them)'}` : ''}`,
  );
  if (customerKey) console.error(`SSE-C objects under the customer key ${customerKey.md5} are migrated`);
  if (!options.local) {
    // `resume` takes no customer key: only a worker given the key file can migrate SSE-C objects here.
    printQueuedRun(run.runId, queues.scan, {
      processHere: customerKey
        ? `s3-seal worker --sse-c-key-file ${options.sseCKeyFile} --until-idle`
        : undefined,
    });
    if (customerKey) {
      console.error(
        'deployed functions migrate SSE-C objects only with this key in S3SEAL_SSE_C_KEY_CIPHERTEXT (docs/deploying.md)',
      );
    }
    return { runId: run.runId, code: 0 };
  }
  // The key reaches this process's workers in memory; queue messages carry its fingerprint only.
  provideSseCustomerKey(customerKey);
  const code = await followRunLocally(run, {
    label: 'encrypting',
    concurrency: options.pollers,
    progress: options.progress,
  });
  return { runId: run.runId, code };
}
