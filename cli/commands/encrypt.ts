import { type Command, Option } from 'commander';
import { ENVELOPE_FORMATS } from '../../shared/envelope/format.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { PROTECTION_MODES } from '../../shared/policy.js';
import { resolveQueueUrls } from '../../shared/queues.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { parseS3Uri } from '../../shared/s3-uri.js';
import { followRunLocally } from '../local-run.js';
import { cliRuntime } from '../runtime.js';

export interface EncryptOptions {
  mode: string;
  key?: string;
  format?: string;
  upgradeFormat?: boolean;
  inventory?: string;
  local?: boolean;
  concurrency: string;
  progress?: boolean;
}

/** Starts a backfill run and, with --local, processes it here; returns the exit code. */
export async function encryptCommand(uri: string, options: EncryptOptions): Promise<number> {
  const { bucket, key: prefix } = parseS3Uri(uri);
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
      format: options.format,
      upgradeFormat: options.upgradeFormat,
      inventory: options.inventory,
    },
  );
  console.error(
    `run ${run.runId}: ${options.mode}${run.format ? ` (S3EC ${run.format}${run.upgradeFormat ? ', upgrading V2' : ''})` : ''}${run.keyArn ? ` under ${run.keyArn}` : ''} for s3://${bucket}/${prefix}`,
  );
  if (!options.local) {
    console.log(run.runId);
    console.error('queued; deployed functions or `s3-seal encrypt --local` workers process it');
    return 0;
  }
  return followRunLocally(run, {
    label: 'encrypting',
    concurrency: options.concurrency,
    progress: options.progress,
  });
}

export function registerEncrypt(program: Command): void {
  program
    .command('encrypt')
    .description('bring every object under s3://BUCKET[/PREFIX] under the chosen protection')
    .argument('<s3-uri>', 's3://BUCKET[/PREFIX]')
    .addOption(new Option('--mode <mode>', 'protection mode').choices(PROTECTION_MODES).makeOptionMandatory())
    .option('--key <key>', 'KMS key id, key ARN, alias/NAME or alias ARN (envelope and sse-kms)')
    .addOption(
      new Option(
        '--format <format>',
        "envelope mode: S3EC format to write (v3: key-committing, read by today's official clients by default; v2: for readers older than Java 3.6 / Go 3.2)",
      ).choices(ENVELOPE_FORMATS),
    )
    .option(
      '--upgrade-format',
      'envelope mode: re-encrypt S3EC V2 objects to V3 (streamed, conditional on the ETag, metadata and tags kept); without it a V2 object under the key stays compliant',
    )
    .option(
      '--inventory <manifest>',
      'enumerate from an S3 Inventory report (s3://BUCKET/PATH/manifest.json, CSV or Parquet; checked against its MD5s first) instead of listing: one scan message per data file',
    )
    .option('--local', 'also process the run in this process with the Lambda handlers, and wait for it')
    .option('--concurrency <n>', 'with --local: encrypt pollers, each working ten objects at a time', '4')
    .option('--no-progress', 'with --local: no progress bar')
    .addHelpText(
      'after',
      '\nExits 0 only when every object ended encrypted, already compliant, or skipped with a reason.',
    )
    .action(async (uri: string, options: EncryptOptions) => {
      process.exitCode = await encryptCommand(uri, options);
    });
}
