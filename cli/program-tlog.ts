import type { Command } from 'commander';
import { lazy } from './lazy-action.js';

export const VERIFIER_KEY_HELP =
  "the log's signed-note verifier key (`<origin>+<key id>+<base64 key>`, as `audit checkpoint --json` prints it) instead of reading its public key from KMS (S3SEAL_TLOG_KEY): for auditors without access to the key";

/**
 * The transparency log's commands under `audit` (docs/audit.md, "Transparency log"): the current
 * signed checkpoint and an object's inclusion proof. Their implementations load only when they run.
 */
export function addTransparencyCommands(audit: Command): void {
  audit
    .command('checkpoint')
    .description(
      "the transparency log's current signed checkpoint (C2SP tlog-checkpoint), checked against its key",
    )
    .option(
      '--json',
      'one JSON object: {"origin", "bucket", "prefix", "verifierKey", "checkpoint"}: the log, where its tiles are, the key that signs it, and the signed checkpoint',
    )
    .option('--verifier-key <key>', VERIFIER_KEY_HELP)
    .addHelpText(
      'after',
      [
        '',
        'Without --json, prints the signed checkpoint exactly as stored: save it (`> FILE`) and later run',
        '`s3-seal audit verify --all --since FILE` to prove the log only grew. The verifier key and where the',
        'tiles are go to stderr. Exits 1 when there is no checkpoint yet or it does not verify.',
      ].join('\n'),
    )
    .action(lazy(async () => (await import('./commands/audit-tlog.js')).checkpointCommand));

  audit
    .command('proof')
    .description(
      "a C2SP tlog-proof that the object's latest decision is in the transparency log, checkable offline with the verifier key",
    )
    .argument('<s3-uri>', 's3://BUCKET/KEY')
    .option('--version <id>', "the object's version: the latest decision that found or wrote it")
    .option('-o, --output <file>', 'write the proof to FILE (default: stdout)')
    .option('--verifier-key <key>', VERIFIER_KEY_HELP)
    .addHelpText(
      'after',
      [
        '',
        'The proof proves the chunk log holding the decision is leaf N of the signed checkpoint; its extra line',
        '(base64 JSON) names that log (bucket, key, sha256) and the record in it (position, recordHash). The',
        'leaf entry is {"bucket","key","sha256"} as canonical JSON. Exits 1 when s3-seal never decided the',
        'object, or its decision is not in the log yet. docs/audit.md, "Transparency log", checks one by hand.',
      ].join('\n'),
    )
    .action(lazy(async () => (await import('./commands/audit-tlog.js')).proofCommand));

  audit
    .command('sequence')
    .description(
      'append to the transparency log every committed chunk that is not a leaf yet (a trail written before the log existed)',
    )
    .option('--run <id>', 'only this run (default: every run)')
    .addHelpText(
      'after',
      [
        '',
        'Runs appended since the log exists need nothing: their chunks become leaves as they commit. This is for',
        'chunks committed before it, which `audit verify --all` names as missing. Safe to repeat: a chunk already',
        'in the log is never appended twice. With S3SEAL_TLOG_QUEUE_URL set (a deployed stage) the chunks go to',
        "the sequencer's queue; otherwise this process appends and signs with S3SEAL_TLOG_KEY.",
      ].join('\n'),
    )
    .action(lazy(async () => (await import('./commands/audit-tlog.js')).sequenceCommand));
}
