import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { findingLine } from '../../shared/audit/audit-finding.js';
import type { AuditRecord } from '../../shared/audit/audit-record.js';
import { batchCompletionRow } from '../../shared/audit/batch-completion-csv.js';
import { runRecords } from '../../shared/audit/run-records.js';
import { type TrailDeps, verifyRunTrail } from '../../shared/audit/verify-trail.js';
import { ConfigError, describeError } from '../../shared/errors.js';
import { verifyRunScope } from '../../shared/report/live-verify.js';
import type {
  AuditCheck,
  LiveVerify,
  ReportContext,
  VersionsCount,
} from '../../shared/report/report-context.js';
import { reportedRun } from '../../shared/report/run-facts.js';
import { renderRunReport } from '../../shared/report/run-report.js';
import type { Run } from '../../shared/runs/run-store.js';
import { plaintextVersionsLeft } from '../../shared/s3/noncurrent-versions.js';
import { auditTrail } from '../audit-trail.js';
import { assertWritableTarget } from '../output-file.js';
import { cliRuntime } from '../runtime.js';
import { toolVersion } from '../tool-version.js';

interface ReportOptions {
  html?: string;
  batchCsv?: string;
  /** Check the run's scope live, as `s3-seal verify` does, and put the verdict on the page. */
  verify?: boolean;
  headConcurrency: number;
}

/** Noncurrent versions HEADed for the report's count: bounded, and the page says when it stopped. */
const VERSIONS_CHECKED = 10_000;

export async function reportCommand(runId: string | undefined, options: ReportOptions): Promise<number> {
  if (!options.html && !options.batchCsv)
    throw new ConfigError('give --html FILE, --batch-csv FILE, or both');
  if (options.verify && !options.html)
    throw new ConfigError('--verify puts its verdict on the --html page: give --html FILE');
  for (const file of [options.html, options.batchCsv]) if (file) await assertWritableTarget(file);
  const trail = auditTrail();
  const { runs } = trail;
  // The latest run by default, as `status` and `audit verify` do.
  const id = runId ?? (await runs.recent(1))[0];
  if (!id) throw new ConfigError('no runs yet: start one with `s3-seal encrypt`');
  const run = await runs.get(id);
  if (!run) throw new ConfigError(`run ${id} not found`);
  // The run's committed chunk logs (docs/reports.md): the page summarises every record.
  const records: AuditRecord[] = [];
  for await (const record of runRecords(trail.source, id, trail.expiry)) records.push(record);
  if (options.batchCsv) {
    await writeBatchCsv(options.batchCsv, records);
    console.error(
      `wrote ${options.batchCsv}: run ${id}, ${records.length} task row(s) (S3 Batch Operations layout)`,
    );
  }
  if (options.html) {
    const context: ReportContext = {
      generatedAt: new Date(),
      toolVersion: toolVersion(),
      auditCheck: await auditCheck(trail, id),
      versionsLeft: await versionsLeft(reportedRun(run, records)),
      ...(options.verify
        ? { liveVerify: await liveVerify(reportedRun(run, records), options.headConcurrency) }
        : {}),
    };
    await writeFile(options.html, renderRunReport(run, records, context));
    console.error(`wrote ${options.html}: run ${id}, ${records.length} audit record(s)`);
  }
  return 0;
}

/** Whole or not at all: the file appears under its name only once complete. */
async function writeBatchCsv(file: string, records: AuditRecord[]): Promise<void> {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  for (const record of records) if (!out.write(batchCompletionRow(record))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  await rename(partial, file);
}

/** `audit verify --run ID`, as the report states it; a failure to check is said, not fatal. */
async function auditCheck(trail: TrailDeps, runId: string): Promise<AuditCheck | { error: string }> {
  try {
    const result = await verifyRunTrail(trail, runId);
    return {
      records: result.records,
      objects: result.objects,
      problems: result.findings.map(findingLine),
      digest: result.digest,
    };
  } catch (error) {
    return { error: describeError(error) };
  }
}

/** `report --verify`: a failure to check is said on the page, not fatal. */
async function liveVerify(run: Run, concurrency: number): Promise<LiveVerify | { error: string }> {
  // A run over every bucket (a rotation) has no one scope to list.
  if (run.bucket === '*') return { error: 'the run covers every bucket: verify each bucket on its own' };
  try {
    return await verifyRunScope(cliRuntime().clients, run, concurrency);
  } catch (error) {
    return { error: describeError(error) };
  }
}

async function versionsLeft(run: Run): Promise<VersionsCount | { error: string } | undefined> {
  // A run over every bucket (a rotation, or live enforcement over several) has no one prefix.
  if (run.bucket === '*') return undefined;
  try {
    const left = await plaintextVersionsLeft(cliRuntime().clients.s3, run.bucket, run.prefix, {
      limit: VERSIONS_CHECKED,
    });
    return { ...left, plaintext: left.plaintext.length };
  } catch (error) {
    return { error: describeError(error) };
  }
}
