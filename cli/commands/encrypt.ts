import { startRun } from '../../shared/jobs/start-run.js';
import { resolveQueueUrls } from '../../shared/queues.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { loadSseCustomerKeyFile, type SseCustomerKey } from '../../shared/s3/sse-c-key.js';
import { provideSseCustomerKey } from '../../shared/s3/sse-c-key-source.js';
import { parseS3Uri } from '../../shared/s3-uri.js';
import { envelopeReadersNotice } from '../envelope-readers.js';
import { followRunLocally } from '../local-run.js';
import { printQueuedRun } from '../queued-run.js';
import { cliRuntime } from '../runtime.js';

export interface EncryptOptions {
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
}

/** Starts a backfill run and, with --local, processes it here; returns the exit code. */
export async function encryptCommand(uri: string, options: EncryptOptions): Promise<number> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  const customerKey = options.sseCKeyFile ? await loadSseCustomerKeyFile(options.sseCKeyFile) : undefined;
  try {
    return await startAndFollow(bucket, prefix, options, customerKey);
  } finally {
    customerKey?.destroy();
  }
}

async function startAndFollow(
  bucket: string,
  prefix: string,
  options: EncryptOptions,
  customerKey: SseCustomerKey | undefined,
): Promise<number> {
  const { config, clients } = cliRuntime();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  const queues = await resolveQueueUrls(clients.sqs, config);
  const run = await startRun(
    { ...clients, runs, queues },
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
    return 0;
  }
  // The key reaches this process's workers in memory; queue messages carry its fingerprint only.
  provideSseCustomerKey(customerKey);
  return followRunLocally(run, {
    label: 'encrypting',
    concurrency: options.pollers,
    progress: options.progress,
  });
}
