import { type Command, Option } from 'commander';
import { lazy } from './lazy-action.js';
import { keepOlderNames } from './option-aliases.js';
import { bucketName, integerIn, parseConcurrency, secondsIn } from './option-parsers.js';
import { addTransparencyCommands, VERIFIER_KEY_HELP } from './program-tlog.js';

/**
 * The commands that read what runs recorded: `status`, `audit export`, `audit verify` (and the
 * transparency log's `audit checkpoint` and `audit proof`) and `report`
 * (their implementations load only when they run, like every command: cli/program.ts).
 */
export function addRecordCommands(program: Command): void {
  program
    .command('status')
    .description(
      'where a run stands: counts by outcome, rate, ETA, and what an unfinished run waits for (the latest run by default)',
    )
    .argument('[run-id]', 'a run id, as `encrypt`, `rewrap` or `rotate` printed it')
    .option('--watch', 'refresh until the run is done')
    .option('--interval <seconds>', 'with --watch: seconds between refreshes', secondsIn(0.1, 3600), 2)
    .option('--json', 'one JSON object per refresh: the run record and its status')
    .option('--list [n]', 'the n most recent runs, one line each (default: 10)', integerIn(1, 1000))
    .action(lazy(async () => (await import('./commands/status.js')).statusCommand));

  const audit = program
    .command('audit')
    .description('the audit trail: every decision s3-seal took or declined');
  const exportCommand = audit
    .command('export')
    .description('stream audit records of a run or a bucket as JSON lines or CSV')
    .option('--run <id>', 'the records of one run (default: the latest run)')
    .option(
      '--bucket <name>',
      'every record about objects in this bucket (reads the logs of every run over it)',
      bucketName,
    )
    .addOption(
      new Option('--output-format <format>', 'output file format').choices(['jsonl', 'csv']).default('jsonl'),
    )
    .option('-o, --output <file>', 'write to FILE (default: stdout)')
    .addHelpText(
      'after',
      '\nCSV cells starting with = + - @ tab or CR are written as "\'..." so spreadsheets do not run them\nas formulas; JSON lines keep every value exact.',
    )
    .action(lazy(async () => (await import('./commands/audit.js')).exportCommand));
  keepOlderNames(exportCommand, [['--format <format>', '--output-format']]);
  audit
    .command('verify')
    .description(
      "recompute the chunk logs' hashes and run digests; name every changed, removed or inserted record or log",
    )
    .option('--run <id>', 'the objects of one run, and its digest (default: the latest run)')
    .option('--bucket <name>', 'every run over this bucket, and the older chains of its objects', bucketName)
    .option(
      '--all',
      "the whole trail: every run's chunk logs and every closed run's digest and count, one log at a time",
    )
    .option(
      '--segments <n>',
      'with --all: parallel Scan segments over trails written before chunks',
      parseConcurrency,
      4,
    )
    .option(
      '--since <checkpoint-file>',
      'with --all: a checkpoint saved earlier (`audit checkpoint > FILE`): prove the transparency log only grew since (a consistency proof); a truncated or rewritten history is a problem',
    )
    .option('--verifier-key <key>', VERIFIER_KEY_HELP)
    .addHelpText(
      'after',
      '\nExits 1 if any record fails; logs of abandoned attempts are named on stderr. --all also checks the\ntransparency log: its signed checkpoint, every tile and entry bundle, every leaf\'s chunk log, and that\nevery committed chunk is a leaf (docs/audit.md, "Transparency log"). Someone able to rewrite the logs,\nthe chunk items and the run digests together is not detected by the other checks (see docs/audit.md).',
    )
    .action(lazy(async () => (await import('./commands/audit.js')).verifyCommand));
  addTransparencyCommands(audit);

  program
    .command('report')
    .description(
      "a run's report an auditor can file (HTML), and/or its results as an S3 Batch Operations completion report (CSV)",
    )
    .argument('[run-id]', 'the run (default: the latest run)')
    .option(
      '--html <file>',
      'write a self-contained HTML page: states before and after, keys, bytes, times, actor, verify result, digest, unprotected objects by reason',
    )
    .option(
      '--batch-csv <file>',
      "write one row per object in S3 Batch Operations' completion report CSV layout (Bucket,Key,VersionId,TaskStatus,HTTPStatusCode,ErrorCode,ResultMessage; no header; keys URL-encoded)",
    )
    .option(
      '--verify',
      "with --html: check the run's bucket and prefix live, as s3-seal verify does (every current object HEADed), and put that verdict on the page instead of the one read from the run's records",
    )
    .option('--head-concurrency <n>', 'with --verify: HEADs in flight at once', integerIn(1, 256), 16)
    .addHelpText(
      'after',
      '\nGive --html, --batch-csv, or both. See docs/reports.md for the page and the CSV mapping.',
    )
    .action(lazy(async () => (await import('./commands/report.js')).reportCommand));
}
