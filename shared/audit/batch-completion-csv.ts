import type { AuditRecord } from './audit-record.js';

/**
 * S3 Batch Operations' completion report layout (`Report_CSV_20180820`), so tooling that reads
 * Batch Operations results reads s3-seal's: one row per task, no header row, seven columns.
 *
 * Source: Amazon S3 User Guide, "Examples: S3 Batch Operations completion reports"
 * (docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html). Its manifest
 * names the schema "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage",
 * but every example row the page shows carries the HTTP status fifth and the error code sixth
 * (`awsexamplebucket1,image_14975,,failed,200,PermanentFailure,"Lambda returned …"` and
 * `…,succeeded,200,,"{…}"`): the rows are what S3 writes, so the rows are what this follows.
 * Fields with a comma, quote or line break are quoted and their quotes doubled, as in those rows.
 *
 * Keys are URL-encoded: Batch Operations manifests must be ("The contents of the manifest must be
 * URL encoded", User Guide, "S3 Batch Operations basics"), and a completion report is routinely fed
 * back as the manifest of a retry. Percent-encoding (encodeURIComponent, `/` kept) never yields a
 * comma, quote or line break, and decodes the same with a percent decoder and a form decoder (a
 * `+` in a key is `%2B`, a space `%20`).
 */
export const BATCH_REPORT_COLUMNS = [
  'Bucket',
  'Key',
  'VersionId',
  'TaskStatus',
  'HTTPStatusCode',
  'ErrorCode',
  'ResultMessage',
] as const;

export interface BatchTaskResult {
  taskStatus: 'succeeded' | 'failed';
  httpStatusCode: number;
  errorCode: string;
}

/**
 * How an s3-seal outcome reads as a Batch Operations task (docs/reports.md, "Batch Operations
 * completion report"). Protected and already-compliant objects succeeded. An object left without
 * the protection asked for failed: a deleted object as S3 reports it (404 NoSuchKey), an archived
 * one as a copy of it fails (403 InvalidObjectState), one written by someone else meanwhile as a
 * conditional write that lost (412 PreconditionFailed); every other skip or failure as a Lambda
 * task that declined for good (200 PermanentFailure, the example's own row). ResultMessage names
 * the s3-seal decision and reason, so nothing of the record is lost.
 */
export function batchTaskResult(record: Pick<AuditRecord, 'decision' | 'reason'>): BatchTaskResult {
  switch (record.decision) {
    case 'encrypted':
    case 'rewrapped':
    case 'compliant':
      return { taskStatus: 'succeeded', httpStatusCode: 200, errorCode: '' };
    case 'superseded':
      return { taskStatus: 'failed', httpStatusCode: 412, errorCode: 'PreconditionFailed' };
    case 'skipped':
      if (record.reason === 'missing' || record.reason?.startsWith('deleted'))
        return { taskStatus: 'failed', httpStatusCode: 404, errorCode: 'NoSuchKey' };
      if (record.reason === 'archived' || record.reason?.startsWith('archived'))
        return { taskStatus: 'failed', httpStatusCode: 403, errorCode: 'InvalidObjectState' };
      return { taskStatus: 'failed', httpStatusCode: 200, errorCode: 'PermanentFailure' };
    case 'failed':
      return { taskStatus: 'failed', httpStatusCode: 200, errorCode: 'PermanentFailure' };
  }
}

/** A key as Batch Operations manifests carry it: percent-encoded, `/` kept. */
export function batchReportKey(key: string): string {
  return encodeURIComponent(key).replaceAll('%2F', '/');
}

/** RFC 4180 quoting, as the documented rows quote a message holding quotes. */
function field(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** What the record says, in one line: decision, method or reason, keys, ETag after. */
export function batchResultMessage(record: AuditRecord): string {
  const parts: string[] = [`s3-seal ${record.decision}`];
  if (record.method) parts.push(`method ${record.method}`);
  if (record.keyArn) parts.push(`key ${record.keyArn}`);
  if (record.reason) parts.push(`reason ${record.reason}`);
  if (record.error) parts.push(`error ${record.error}`);
  if (record.etagAfter) parts.push(`etag ${record.etagAfter}`);
  if (record.warnings?.length) parts.push(`warnings ${record.warnings.join(' ')}`);
  parts.push(`run ${record.runId}`);
  return parts.join('; ');
}

/** One completion-report row, ended by `\n` (the page shows one row a line; CSV readers take either ending). */
export function batchCompletionRow(record: AuditRecord): string {
  const result = batchTaskResult(record);
  return `${[
    field(record.bucket),
    batchReportKey(record.key),
    field(record.versionIdBefore ?? ''),
    result.taskStatus,
    String(result.httpStatusCode),
    result.errorCode,
    field(batchResultMessage(record)),
  ].join(',')}\n`;
}
