import type { Command } from 'commander';
import { lazy } from './lazy-action.js';
import { keepOlderNames } from './option-aliases.js';
import { parseConcurrency, parseIsoTime } from './option-parsers.js';
import { PROCESS_LOCALLY } from './process-locally.js';

/**
 * The commands that move objects between KMS keys or list them: `rewrap`, `keys` and `rotate`
 * (their implementations load only when they run, like every command: cli/program.ts).
 */
export function addKeyCommands(program: Command): void {
  const rewrap = program
    .command('rewrap')
    .description('re-wrap data keys (envelope) or re-encrypt (SSE-KMS) objects from one KMS key to another')
    .argument('<s3-uri>', 's3://BUCKET[/PREFIX]')
    .requiredOption(
      '--from <key>',
      'the key the objects are protected under now (id, ARN or alias) (required)',
    )
    .requiredOption('--to <key>', 'the key to move them to (id, ARN or alias; must be enabled) (required)')
    .option('--wrapped-before <iso-time>', 'only data keys wrapped before this time (ISO 8601)', parseIsoTime)
    .option(
      '--scan',
      'list the bucket instead of reading the key manifests (finds objects no run recorded under the key)',
    )
    .option(
      '--inventory <manifest>',
      'like --scan, but enumerate from an S3 Inventory report (s3://BUCKET/PATH/manifest.json, CSV or Parquet; checked against its MD5s first): one scan message per data file, read in parallel',
    )
    .option(
      '--dry-run',
      'print what would be re-wrapped (objects per bucket, from the key manifests) and exit, writing nothing',
    )
    .option('--local', PROCESS_LOCALLY)
    .option('--pollers <n>', 'with --local: rewrap pollers, ten objects each', parseConcurrency, 4)
    .option('--no-progress', 'with --local: no progress bar')
    .addHelpText(
      'after',
      '\nObjects are found through the manifests of the source key that closed runs wrote (or, with --scan or\n--inventory, every object is looked at and those under other keys are skipped); envelope ciphertext\nis never rewritten and the plaintext data key never leaves KMS (KMS ReEncrypt).',
    )
    .action(lazy(async () => (await import('./commands/rewrap.js')).rewrapCommand));
  keepOlderNames(rewrap, [['--concurrency <n>', '--pollers']]);

  program
    .command('keys')
    .description(
      'list the KMS keys protecting objects, with object counts and the months of their oldest and newest wrap',
    )
    .action(lazy(async () => (await import('./commands/rewrap.js')).keysCommand));

  const rotate = program
    .command('rotate')
    .description(
      're-wrap what a KMS key wrapped before its latest rotation, or apply the rotation policies once',
    )
    .option(
      '--key <key>',
      'the rotated key (id, ARN or alias); objects stay under it, with fresh key material',
    )
    .option('--on-demand', 'with --key: first rotate the key material now (KMS RotateKeyOnDemand)')
    .option(
      '--wrapped-before <iso-time>',
      'with --key: only data keys wrapped before this time, ISO 8601: the rotation time (default: now)',
      parseIsoTime,
    )
    .option(
      '--policies',
      'evaluate S3SEAL_ROTATION_MAX_KEY_AGE_DAYS and S3SEAL_ROTATION_ALIASES, as the schedule does',
    )
    .option(
      '--dry-run',
      'print what would be re-wrapped (objects per bucket, per policy with --policies) and exit; no key rotation, no run',
    )
    .option('--local', 'also process the runs in this process with the Lambda handlers, and wait for them')
    .option('--pollers <n>', 'with --local: rewrap pollers, ten objects each', parseConcurrency, 4)
    .option('--no-progress', 'with --local: no progress bar')
    .addHelpText(
      'after',
      '\nKMS keeps every rotated key material, so reading never needs this; it is for policies that\nwant no data key wrapped under old material (or older than N days).',
    )
    .action(lazy(async () => (await import('./commands/rotate.js')).rotateCommand));
  keepOlderNames(rotate, [
    ['--before <iso-time>', '--wrapped-before'],
    ['--concurrency <n>', '--pollers'],
  ]);
}
