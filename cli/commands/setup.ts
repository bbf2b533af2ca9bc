import { ConfigError } from '../../shared/errors.js';
import { ensureAuditTrail, ensureQueues, ensureTables } from '../../shared/infra/provision.js';
import { parseS3Uri } from '../../shared/s3-uri.js';
import { unwatchBucket, watchBucket } from '../../shared/watch/watch-bucket.js';
import { type WatchPolicy, WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { type ControlChange, writeTimeChanges } from '../../shared/watch/write-time-controls.js';
import { cliRuntime } from '../runtime.js';

interface SetupOptions {
  watch?: string;
  unwatch?: string;
  mode?: string;
  key?: string;
  s3ecFormat?: string;
  otherKmsKeys?: string;
  suffix: string;
  /** False with --no-default-encryption. */
  defaultEncryption: boolean;
  denyUnencrypted?: boolean;
}

/** What a watch will do to each new upload: its mode and, for the KMS modes, the key, by ARN. */
function watchKeyLine(scope: string, policy: WatchPolicy): string {
  if (!policy.keyArn) return `watch  ${scope}  will protect new uploads with ${policy.mode} (S3-managed key)`;
  const others =
    policy.mode === 'sse-kms'
      ? `; uploads under other KMS keys ${policy.otherKmsKeys === 'leave' ? 'are left there' : 'are re-keyed onto it'}`
      : '';
  return `watch  ${scope}  will protect new uploads with ${policy.mode} under KMS key ${policy.keyArn}${others}`;
}

export async function setupCommand(options: SetupOptions): Promise<number> {
  // Refused before anything is created: these options describe the watch policy.
  if (!options.watch && (options.mode || options.key || options.s3ecFormat || options.otherKmsKeys)) {
    throw new ConfigError('--mode, --key, --s3ec-format and --other-kms-keys are used only with --watch');
  }
  if (!options.watch && (options.denyUnencrypted || options.defaultEncryption === false)) {
    throw new ConfigError('--deny-unencrypted and --no-default-encryption are used only with --watch');
  }
  if (options.mode === 'envelope' && (options.denyUnencrypted || options.defaultEncryption === false)) {
    throw new ConfigError(
      '--deny-unencrypted and --no-default-encryption are for --mode sse-kms and sse-s3: S3 cannot tell an envelope from plaintext at upload',
    );
  }
  if (options.watch && options.unwatch) {
    throw new ConfigError('give one of --watch and --unwatch');
  }
  if (options.watch && !options.mode) {
    throw new ConfigError('--watch needs --mode (and --key for envelope and sse-kms)');
  }
  const { config, clients, workQueues } = cliRuntime();
  const created = [
    ...(await ensureQueues(clients.sqs, config)),
    ...(await ensureTables(clients.dynamo, config)),
    ...(await ensureAuditTrail(clients, config)),
  ];
  for (const r of created) {
    console.log(
      `${r.kind.padEnd(6)}  ${r.name.padEnd(28)}  ${r.status === 'created' ? 'created' : 'ok'}  ${r.id}${r.note ? `  (${r.note})` : ''}`,
    );
  }
  const policies = new WatchPolicyStore(clients.dynamo, config.ledgerTable);
  if (options.watch) {
    if (!options.mode) throw new ConfigError('--watch needs --mode (and --key for envelope and sse-kms)');
    const { bucket, key: prefix } = parseS3Uri(options.watch);
    const work = await workQueues();
    let changes: ControlChange[] = [];
    const policy = await watchBucket(
      { ...clients, policies, eventsQueueUrl: work.events },
      {
        bucket,
        prefix,
        suffix: options.suffix,
        mode: options.mode,
        key: options.key,
        format: options.s3ecFormat,
        otherKmsKeys: options.otherKmsKeys,
      },
      async (resolved) => {
        // Said before the policy is stored: the key every new upload will be protected under.
        console.log(watchKeyLine(`s3://${bucket}/${prefix}*${options.suffix}`, resolved));
        // Write-time enforcement (docs/estate.md): the bucket's controls are read now, so one
        // setup cannot read refuses the watch with nothing stored, and each change is printed
        // before anything is written.
        changes = await writeTimeChanges(clients, {
          bucket,
          prefix,
          suffix: options.suffix,
          policy: resolved,
          defaultEncryption: options.defaultEncryption !== false,
          denyUnencrypted: options.denyUnencrypted === true,
        });
        for (const change of changes) {
          console.log(`change  ${change.control}  s3://${bucket}: ${change.from} -> ${change.to}`);
        }
      },
    );
    console.log(
      `watch  s3://${bucket}/${prefix}*${options.suffix}  ${policy.mode}${policy.format ? ` S3EC ${policy.format}` : ''}${policy.keyArn ? ` ${policy.keyArn}` : ''}  notification ${policy.notificationId} -> ${work.events}`,
    );
    for (const change of changes) {
      await change.apply();
      console.log(`changed ${change.control}  s3://${bucket}`);
    }
    if (changes.length === 0 && policy.mode !== 'envelope') {
      console.log(`write-time controls of s3://${bucket}: already in place, nothing changed`);
    }
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
