import { Command, Option } from 'commander';
import { ENVELOPE_FORMATS } from '../shared/envelope/format.js';
import { PRICES_AS_OF } from '../shared/plan/prices.js';
import { OTHER_KMS_KEYS, PROTECTION_MODES } from '../shared/policy.js';
import { ENVELOPE_READERS_HELP } from './envelope-readers.js';
import { addEstateOptions } from './estate-options.js';
import { lazy } from './lazy-action.js';
import { keepOlderNames } from './option-aliases.js';
import { refuseOptionsWithoutTheirPair } from './option-pairs.js';
import { integerIn, parseConcurrency } from './option-parsers.js';
import { PROCESS_LOCALLY } from './process-locally.js';
import { addKeyCommands } from './program-keys.js';
import { addOperationCommands, QUEUE_POLLERS_HELP } from './program-operations.js';
import { addRecordCommands } from './program-records.js';

/**
 * `--other-kms-keys` (encrypt, plan, setup --watch). The default re-keys: an sse-kms policy names
 * one key and `verify --key` proves it; leaving objects under other keys by default would leave
 * them unprovable. It is never silent: plan, the summary, status and the audit name each source key
 * (docs/architecture.md, "Compliance").
 */
const otherKmsKeysOption = (what: string) =>
  new Option(
    '--other-kms-keys <choice>',
    `${what}: what becomes of objects SSE-KMS encrypted under a key other than --key. rekey (the default) moves them onto --key and records the key each came from (audit keyArnBefore, counts per source key), because an sse-kms policy names one key and verify --key proves it; leave skips them as under-another-kms-key, for estates where other applications own their keys (an application that can decrypt only with its own key breaks once its objects move)`,
  ).choices(OTHER_KMS_KEYS);

/**
 * The s3-seal command line: every command with its arguments, options and help. Each command's
 * implementation (cli/commands/) is imported only when that command runs: the AWS SDK, the
 * handlers and their dependencies take most of a second to load, and `--help`, `--version` or a
 * refused option need none of it (test/deploy/cli-package.test.ts checks). Keep this module free of
 * imports that reach the SDK.
 */
export function createProgram(): Command {
  const program = new Command()
    .name('s3-seal')
    .description(
      'Bring existing S3 data under encryption (SSE-KMS, SSE-S3 or S3EC V3/V2 client-side envelope) and keep it there.',
    )
    .version('0.1.0')
    // `--version` is the program's only before the command name: `audit proof --version V` is the
    // object's version, not a request for s3-seal's.
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)')
    // Commander's own refusals ("error: unknown option …") read like every other failure:
    // `s3-seal: error: …` (cli/main.ts). Subcommands inherit this.
    .configureOutput({ outputError: (text, write) => write(`s3-seal: ${text}`) })
    .exitOverride();

  const setup = program
    .command('setup')
    .description('create, idempotently, the queues (with DLQs) and tables; optionally watch a bucket')
    .option('--watch <s3-uri>', 'encrypt new objects under s3://BUCKET[/PREFIX] as they arrive')
    .option('--unwatch <s3-uri>', "stop watching (removes only s3-seal's notification entry)")
    .addOption(new Option('--mode <mode>', 'with --watch: protection mode').choices(PROTECTION_MODES))
    .option('--key <key>', 'with --watch: KMS key id, ARN or alias (envelope and sse-kms)')
    .addOption(
      new Option('--s3ec-format <format>', 'with --watch --mode envelope: S3EC format (default: v3)').choices(
        ENVELOPE_FORMATS,
      ),
    )
    .addOption(otherKmsKeysOption('with --watch --mode sse-kms'))
    .option('--suffix <suffix>', 'with --watch/--unwatch: only keys ending with this', '')
    .option(
      '--no-default-encryption',
      "with --watch (sse-kms, sse-s3): leave the bucket's default encryption as it is (by default setup sets it: SSE-KMS under --key with S3 Bucket Key, or SSE-S3, so uploads are compliant when written)",
    )
    .option(
      '--deny-unencrypted',
      "with --watch (sse-kms, sse-s3): also add deny statements to the bucket policy (merged; the policy's other statements are kept) refusing uploads under the prefix that ask for other encryption, another KMS key, or SSE-C",
    )
    .addHelpText(
      'after',
      '\nSafe to run any number of times; prints what exists, and every bucket change before making it\n(docs/estate.md, "Enforcement at write time").',
    )
    .action(lazy(async () => (await import('./commands/setup.js')).setupCommand));
  keepOlderNames(setup, [['--format <format>', '--s3ec-format']]);

  const encrypt = program
    .command('encrypt')
    .description('bring every object under s3://BUCKET[/PREFIX] under the chosen protection')
    .argument('[s3-uris...]', 's3://BUCKET[/PREFIX], one or more (a run each), or --all-buckets')
    .addOption(
      new Option('--mode <mode>', 'protection mode (required)')
        .choices(PROTECTION_MODES)
        .makeOptionMandatory(),
    )
    .option('--key <key>', 'KMS key id, key ARN, alias/NAME or alias ARN (envelope and sse-kms)')
    .addOption(
      new Option(
        '--s3ec-format <format>',
        "envelope mode: S3EC format to write (v3: key-committing, read by today's official clients by default; v2: for readers older than Java 3.6 / Go 3.2) (default: v3)",
      ).choices(ENVELOPE_FORMATS),
    )
    .option(
      '--upgrade-format',
      'envelope mode: re-encrypt S3EC V2 objects to V3 (streamed, conditional on the ETag, metadata and tags kept); without it a V2 object under the key stays compliant',
    )
    .addOption(otherKmsKeysOption('sse-kms mode'))
    .option(
      '--keep-acl',
      "re-apply each rewritten object's ACL grants with PutObjectAcl (S3 gives a rewritten object a private ACL; without this flag lost grants are reported per object as acl-not-carried)",
    )
    .option(
      '--sse-c-key-file <file>',
      'migrate SSE-C objects written with the customer key in FILE (32 bytes, raw or base64) to sse-kms or envelope',
    )
    .option(
      '--inventory <manifest>',
      'enumerate from an S3 Inventory report (s3://BUCKET/PATH/manifest.json, CSV or Parquet; checked against its MD5s first) instead of listing: one scan message per data file',
    )
    .option(
      '--scan-chains <n>',
      "list in parallel chains, one per folder (common prefix of delimiter /), fanning out while a chain's share of N is 2 or more (1-1024; 1: one chain; a flat bucket stays one chain) (default: S3SEAL_SCAN_CHAINS, else 4)",
      integerIn(1, 1024),
    )
    .option('--local', PROCESS_LOCALLY)
    .option(
      '--pollers <n>',
      'with --local: encrypt pollers, each working ten objects at a time',
      parseConcurrency,
      4,
    )
    .option('--no-progress', 'with --local: no progress bar')
    .addHelpText(
      'after',
      [
        '',
        'Exits 0 only when every object ended encrypted, already compliant, or skipped with a reason.',
        'SSE-C objects are skipped (reason sse-c) unless --sse-c-key-file names their key; the key never',
        'goes into a queue message or a log, only its MD5 fingerprint does.',
        ENVELOPE_READERS_HELP,
        '',
        'Several buckets, or --all-buckets: one run per bucket, all checked and listed before the first',
        'starts; --all-buckets starts them only with --yes. With --local the runs are processed one after',
        'another, each with its summary, then a line per bucket (docs/estate.md).',
      ].join('\n'),
    )
    .option('--yes', 'with --all-buckets: start the runs it lists (without it, nothing starts)')
    .action(lazy(async () => (await import('./commands/encrypt.js')).encryptCommand));
  keepOlderNames(encrypt, [
    ['--format <format>', '--s3ec-format'],
    ['--concurrency <n>', '--pollers'],
  ]);
  addEstateOptions(encrypt);

  const plan = program
    .command('plan')
    .description(
      'show what a run would do, request by request, what it would cost and how long it would take; writes nothing',
    )
    .argument('[s3-uri]', 's3://BUCKET[/PREFIX] (or --all-buckets)')
    .addOption(
      new Option('--mode <mode>', 'protection mode the run would use (required)')
        .choices(PROTECTION_MODES)
        .makeOptionMandatory(),
    )
    .option('--key <key>', 'KMS key id, key ARN, alias/NAME or alias ARN (envelope and sse-kms)')
    .addOption(otherKmsKeysOption('sse-kms mode'))
    .option('--prefix <prefix>', 'only keys under this prefix (instead of s3://BUCKET/PREFIX)')
    .option(
      '--inventory <manifest>',
      'plan from an S3 Inventory report (s3://BUCKET/PATH/manifest.json, CSV or Parquet) instead of listing and HEADing every object',
    )
    .option('--json', 'print the plan as JSON')
    .option(
      '--lambda-concurrency <n>',
      'concurrent encrypt functions to project the duration at',
      integerIn(1, 100_000),
      1000,
    )
    .option(
      '--prefix-partitions <n>',
      'S3 prefix partitions the bucket has (each takes 3,500 writes/s)',
      integerIn(1, 100_000),
      1,
    )
    .option(
      '--sample <n>',
      'with --inventory: rows HEADed per state the inventory cannot settle (NOT-SSE, SSE-KMS without a key column)',
      integerIn(0, 100_000),
      100,
    )
    .option('--head-concurrency <n>', 'HEADs in flight at once', integerIn(1, 256), 16)
    .option(
      '--sample-objects <n>',
      'with --all-buckets: in a bucket of more than N current objects (and no inventory), HEAD a uniform random sample of N, and estimate states and cost from it',
      integerIn(1, 1_000_000),
    )
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
duration at --lambda-concurrency with the limiting component named (docs/large-buckets.md, "\`s3-seal plan\`").

With --all-buckets: one row per bucket the credentials can list (narrowed by the --bucket-*
filters): its default encryption and key, Bucket Key, versioning, Object Lock, what its bucket
policy denies at upload, the write-time controls it lacks for --mode/--key, its objects by state
(from its latest S3 Inventory report when one is configured, else by listing), and the cost and
time to fix it. A bucket that cannot be read is its row, with the reason (docs/estate.md).
${ENVELOPE_READERS_HELP}`,
    )
    .action(lazy(async () => (await import('./commands/plan.js')).planCommand));
  keepOlderNames(plan, [['--concurrency <n>', '--head-concurrency']]);
  addEstateOptions(plan);

  program
    .command('decrypt')
    .description('read a client-side encrypted (S3EC V3 or V2, KMS) object back to plaintext')
    .argument('<s3-uri>', 's3://BUCKET/KEY')
    .option('-o, --output <file>', 'write the plaintext to FILE; - for stdout (default: stdout)')
    .option('--version-id <id>', 'a specific object version')
    .addHelpText(
      'after',
      '\nNothing is written to FILE or stdout until the whole object has been authenticated.',
    )
    .action(lazy(async () => (await import('./commands/decrypt.js')).decryptCommand));

  const verify = program
    .command('verify')
    .description('report every object that is not protected, or whose envelope data key does not unwrap')
    .argument('[s3-uri]', 's3://BUCKET[/PREFIX] (or --all-buckets)')
    .addOption(
      new Option('--mode <mode>', 'require this protection mode (default: any protection)').choices(
        PROTECTION_MODES,
      ),
    )
    .option(
      '--key <key>',
      'require this KMS key: with --mode, that mode under it; alone, SSE-KMS, DSSE-KMS or an envelope under it',
    )
    .addOption(
      new Option(
        '--s3ec-format <format>',
        'with --mode envelope: v3 fails S3EC V2 envelopes (after an upgrade); without --s3ec-format both pass, so v2 is refused as requiring nothing',
      ).choices(ENVELOPE_FORMATS),
    )
    .option('--head-concurrency <n>', 'objects HEADed and checked at once', parseConcurrency, 16)
    .option(
      '--sse-c-key-file <file>',
      'also tell which SSE-C objects this customer key (raw or base64) opens',
    )
    .option(
      '--versions',
      'versioned buckets: list every plaintext noncurrent version, and count them as not compliant',
    )
    .addHelpText(
      'after',
      '\nExits 1 if any object is not compliant. In a versioned bucket it also counts the plaintext\nnoncurrent versions s3-seal leaves (it never deletes versions); --versions lists them.',
    )
    .option('--json', 'with --all-buckets: print the estate verdict as JSON')
    .action(lazy(async () => (await import('./commands/verify.js')).verifyCommand));
  keepOlderNames(verify, [
    ['--format <format>', '--s3ec-format'],
    ['--concurrency <n>', '--head-concurrency'],
  ]);
  addEstateOptions(verify);

  addKeyCommands(program);
  addRecordCommands(program);

  const resume = program
    .command('resume')
    .description('complete a run whose local worker was interrupted or died, processing it in this process')
    .argument('<run-id>', 'the run to complete, as `encrypt`, `rewrap`, `rotate` or `status` printed it')
    .option('--pollers <n>', QUEUE_POLLERS_HELP, parseConcurrency, 4)
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      [
        '',
        'Serves the pipeline queues here until the run completes, then prints its summary, like',
        '`encrypt --local`. Claims held by a local process that is gone (same host, pid no longer',
        'running) are taken over at once; objects are re-checked against S3 before any write.',
        'Exits 0 only when every object ended encrypted, already compliant, or skipped with a reason;',
        '130/143 when interrupted again (resume again to continue).',
      ].join('\n'),
    )
    .action(lazy(async () => (await import('./commands/resume.js')).resumeCommand));
  keepOlderNames(resume, [['--concurrency <n>', '--pollers']]);

  addOperationCommands(program);

  refuseOptionsWithoutTheirPair(program);
  return program;
}
