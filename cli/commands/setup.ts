import { type Command, Option } from 'commander';
import { ENVELOPE_FORMATS } from '../../shared/envelope/format.js';
import { ensureQueues, ensureTables } from '../../shared/infra/provision.js';
import { PROTECTION_MODES } from '../../shared/policy.js';
import { parseS3Uri } from '../../shared/s3-uri.js';
import { unwatchBucket, watchBucket } from '../../shared/watch/watch-bucket.js';
import { WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { cliRuntime } from '../runtime.js';

interface SetupOptions {
  watch?: string;
  unwatch?: string;
  mode?: string;
  key?: string;
  format?: string;
  suffix: string;
}

async function setupCommand(options: SetupOptions): Promise<number> {
  const { config, clients, queues } = cliRuntime();
  const created = [
    ...(await ensureQueues(clients.sqs, config)),
    ...(await ensureTables(clients.dynamo, config)),
  ];
  for (const r of created) {
    console.log(
      `${r.kind.padEnd(5)}  ${r.name.padEnd(28)}  ${r.status === 'created' ? 'created' : 'ok'}  ${r.id}`,
    );
  }
  const policies = new WatchPolicyStore(clients.dynamo, config.ledgerTable);
  if (options.watch) {
    if (!options.mode) throw new Error('--watch needs --mode (and --key for envelope and sse-kms)');
    const { bucket, key: prefix } = parseS3Uri(options.watch);
    const { work } = await queues();
    const policy = await watchBucket(
      { ...clients, policies, eventsQueueUrl: work.events },
      {
        bucket,
        prefix,
        suffix: options.suffix,
        mode: options.mode,
        key: options.key,
        format: options.format,
      },
    );
    console.log(
      `watch  s3://${bucket}/${prefix}*${options.suffix}  ${policy.mode}${policy.format ? ` S3EC ${policy.format}` : ''}${policy.keyArn ? ` ${policy.keyArn}` : ''}  notification ${policy.notificationId} -> ${work.events}`,
    );
  }
  if (options.unwatch) {
    const { bucket, key: prefix } = parseS3Uri(options.unwatch);
    const removed = await unwatchBucket({ ...clients, policies }, { bucket, prefix, suffix: options.suffix });
    console.log(
      `unwatch  s3://${bucket}/${prefix}*${options.suffix}  ${removed ? 'removed' : 'was not watched'}`,
    );
  }
  return 0;
}

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('create, idempotently, the queues (with DLQs) and tables; optionally watch a bucket')
    .option('--watch <s3-uri>', 'encrypt new objects under s3://BUCKET[/PREFIX] as they arrive')
    .option('--unwatch <s3-uri>', 'stop watching (removes only s3-seal’s notification entry)')
    .addOption(new Option('--mode <mode>', 'with --watch: protection mode').choices(PROTECTION_MODES))
    .option('--key <key>', 'with --watch: KMS key id, ARN or alias (envelope and sse-kms)')
    .addOption(
      new Option('--format <format>', 'with --watch --mode envelope: S3EC format (default v3)').choices(
        ENVELOPE_FORMATS,
      ),
    )
    .option('--suffix <suffix>', 'with --watch/--unwatch: only keys ending with this', '')
    .addHelpText('after', '\nSafe to run any number of times; prints what exists.')
    .action(async (options: SetupOptions) => {
      process.exitCode = await setupCommand(options);
    });
}
