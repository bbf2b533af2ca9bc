import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { type AuditFinding, findingLine } from '../../shared/audit/audit-finding.js';
import { csvHeader, csvRow, jsonLine } from '../../shared/audit/audit-format.js';
import { rememberingLogHashes } from '../../shared/audit/remembered-log-hashes.js';
import { bucketRecords, runRecords } from '../../shared/audit/run-records.js';
import {
  type TrailDeps,
  verifyBucketTrail,
  verifyRunTrail,
  verifyWholeTrail,
} from '../../shared/audit/verify-trail.js';
import { ConfigError } from '../../shared/errors.js';
import { auditTrail } from '../audit-trail.js';
import { assertWritableTarget } from '../output-file.js';
import { prepareLogCheck, runLogCheck } from '../transparency-log.js';

interface ExportOptions {
  run?: string;
  bucket?: string;
  outputFormat: 'jsonl' | 'csv';
  output?: string;
}

const noRecordsOfBucket = (bucket: string, what = 'no audit records') =>
  `bucket ${bucket}: ${what} (s3-seal has recorded nothing about it; check the name)`;

/** The records of an iterator whose first result was already taken. */
async function* resumed<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  for (let next = first; !next.done; next = await rest.next()) yield next.value;
}

/** Writes with backpressure, so an export of any size holds one page of records in memory. */
async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export async function exportCommand(options: ExportOptions): Promise<number> {
  if (options.run && options.bucket) throw new ConfigError('give one of --run ID or --bucket B');
  if (options.output) await assertWritableTarget(options.output);
  const trail = auditTrail();
  const { runs } = trail;
  // Neither given: the latest run, as `status`, `report` and `audit verify` do.
  const runId = options.bucket ? undefined : (options.run ?? (await runs.recent(1))[0]);
  if (!options.bucket && !runId) throw new ConfigError('no runs yet: nothing to export');
  // The committed records of the run's chunk logs (docs/audit.md, "Exporting records").
  const scoped = runId
    ? runRecords(trail.source, runId, trail.expiry)
    : bucketRecords(trail.source, runs, options.bucket!, trail.expiry);
  // An unknown run or bucket is an error, found before anything is written: a mistyped id must not
  // look like an empty export. A known run with no records (an empty prefix) exports nothing.
  const iterator = scoped[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) {
    if (options.bucket) throw new ConfigError(noRecordsOfBucket(options.bucket));
    if (!(await runs.get(runId!))) throw new ConfigError(`run ${runId} not found`);
  }
  const records = resumed(first, iterator);
  // A file appears under its name only once complete: a failed export leaves FILE.partial.
  const partial = options.output ? `${options.output}.partial` : undefined;
  const out: Writable = partial ? createWriteStream(partial) : process.stdout;
  let count = 0;
  if (options.outputFormat === 'csv') await write(out, csvHeader());
  for await (const record of records) {
    await write(out, options.outputFormat === 'csv' ? csvRow(record) : jsonLine(record));
    count++;
  }
  if (partial) {
    out.end();
    await once(out, 'finish');
    await rename(partial, options.output!);
  }
  const scope = runId ? `run ${runId}` : `bucket ${options.bucket}`;
  console.error(
    `exported ${count} audit record(s) of ${scope}${options.output ? ` to ${options.output}` : ''}`,
  );
  return 0;
}

interface VerifyOptions {
  run?: string;
  bucket?: string;
  all?: boolean;
  segments?: number;
  since?: string;
  verifierKey?: string;
}

export async function verifyCommand(options: VerifyOptions): Promise<number> {
  const trail = auditTrail();
  const { runs } = trail;
  if ([options.run, options.bucket, options.all].filter(Boolean).length > 1)
    throw new ConfigError('give one of --run ID, --bucket B or --all');
  if (!options.all && (options.since !== undefined || options.verifierKey !== undefined))
    throw new ConfigError(
      `${options.since !== undefined ? '--since' : '--verifier-key'} goes with --all (the transparency log is checked whole)`,
    );
  if (options.all) return verifyAllCommand(trail, options);
  const runId = options.bucket ? undefined : (options.run ?? (await runs.recent(1))[0]);
  if (!runId && !options.bucket) throw new ConfigError('no runs yet: nothing to verify');
  const result = runId ? await verifyRunTrail(trail, runId) : await verifyBucketTrail(trail, options.bucket!);
  // Nothing in scope: a bucket s3-seal never touched, or a run id that names nothing (a run whose
  // record was deleted but whose records remain is verified, and its missing record reported).
  if (result.objects === 0) {
    // Runs over every bucket are checked whole, but hold no record of this bucket: nothing of
    // its own to verify, unless they show damage.
    if (options.bucket && result.findings.length === 0)
      throw new ConfigError(noRecordsOfBucket(options.bucket, 'no audit records and no ledger anchors'));
    if (runId && !(await runs.get(runId))) throw new ConfigError(`run ${runId} not found`);
  }
  printFindings(result);
  const scope = runId ? `run ${runId}` : `bucket ${options.bucket}`;
  console.error(
    `${scope}: ${result.records} audit record(s) of ${result.objects} object(s) checked` +
      (result.digest ? `; run digest ${result.digest}` : '') +
      `; ${result.findings.length === 0 ? 'no problems' : `${result.findings.length} problem(s)`}`,
  );
  return result.findings.length === 0 ? 0 : 1;
}

/** Problems on stdout, one line each; abandoned attempts' logs on stderr: named, not problems. */
function printFindings(result: { findings: AuditFinding[]; notes: AuditFinding[] }): void {
  for (const finding of result.findings) console.log(findingLine(finding));
  for (const note of result.notes) console.error(findingLine(note));
}

/**
 * `audit verify --all`: the whole trail, streamed, then the transparency log over it; progress on
 * stderr, problems on stdout.
 */
async function verifyAllCommand(trail: TrailDeps, options: VerifyOptions): Promise<number> {
  const log = await prepareLogCheck(options);
  let shownAt = 0;
  // The log's pass checks each leaf's chunk log against the hash the trail pass computed from it.
  const remembered = rememberingLogHashes(trail.source);
  const result = await verifyWholeTrail(
    { ...trail, source: remembered.source },
    {
      segments: options.segments ?? 4,
      onProgress: ({ records, objects }) => {
        if (Date.now() - shownAt < 2000) return;
        shownAt = Date.now();
        console.error(`audit verify --all: ${records} record(s) of ${objects} object(s) so far`);
      },
    },
  );
  printFindings(result);
  for (const runId of result.legacyRuns)
    console.error(`run ${runId}: closed before multiset digests; its digest is checked by --run ${runId}`);
  console.error(
    `whole trail: ${result.records} audit record(s) of ${result.objects} object(s) and ` +
      `${result.runsChecked} closed run(s) checked; ` +
      `${result.findings.length === 0 ? 'no problems' : `${result.findings.length} problem(s)`}`,
  );
  const logFindings = await runLogCheck(trail, log, {
    expired: result.expired,
    knownHashes: remembered.hashes,
  });
  return result.findings.length === 0 && logFindings.length === 0 ? 0 : 1;
}
