import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { type Command, Option } from 'commander';
import { csvHeader, csvRow, jsonLine } from '../../shared/audit/audit-format.js';
import { recordsOfBucket, recordsOfRun } from '../../shared/audit/audit-records.js';
import { ConfigError } from '../../shared/errors.js';
import { cliRuntime } from '../runtime.js';

interface ExportOptions {
  run?: string;
  bucket?: string;
  format: 'jsonl' | 'csv';
  output?: string;
}

/** Writes with backpressure, so an export of any size holds one page of records in memory. */
async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function exportCommand(options: ExportOptions): Promise<number> {
  if (Boolean(options.run) === Boolean(options.bucket)) {
    throw new ConfigError('give exactly one of --run ID or --bucket B');
  }
  const { config, clients } = cliRuntime();
  const records = options.run
    ? recordsOfRun(clients.dynamo, config.auditTable, options.run)
    : recordsOfBucket(clients.dynamo, config.auditTable, options.bucket!);
  // A file appears under its name only once complete: a failed export leaves FILE.partial.
  const partial = options.output ? `${options.output}.partial` : undefined;
  const out: Writable = partial ? createWriteStream(partial) : process.stdout;
  let count = 0;
  if (options.format === 'csv') await write(out, csvHeader());
  for await (const record of records) {
    await write(out, options.format === 'csv' ? csvRow(record) : jsonLine(record));
    count++;
  }
  if (partial) {
    out.end();
    await once(out, 'finish');
    await rename(partial, options.output!);
  }
  console.error(`exported ${count} audit record(s)${options.output ? ` to ${options.output}` : ''}`);
  return 0;
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('the audit trail: every decision s3-seal took or declined');
  audit
    .command('export')
    .description('stream audit records of a run or a bucket as JSON lines or CSV')
    .option('--run <id>', 'the records of one run')
    .option('--bucket <name>', 'every record about objects in this bucket (reads the whole table)')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('-o, --output <file>', 'write to FILE (default: stdout)')
    .action(async (options: ExportOptions) => {
      process.exitCode = await exportCommand(options);
    });
}
