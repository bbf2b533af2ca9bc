import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../../shared/audit/audit-record.js';
import {
  batchCompletionRow,
  batchReportKey,
  batchTaskResult,
} from '../../../../shared/audit/batch-completion-csv.js';

const record = (fields: Partial<AuditRecord>): AuditRecord => ({
  decision: 'encrypted',
  runId: 'r1',
  jobId: 'j1',
  actor: 'worker:1',
  bucket: 'b',
  key: 'k',
  mode: 'sse-kms',
  at: '2026-12-06T10:00:00.000Z',
  ...fields,
});

describe('the S3 Batch Operations completion report', () => {
  it('writes a protected object as a succeeded task, in the documented column order', () => {
    const row = batchCompletionRow(
      record({
        key: 'data/a.csv',
        versionIdBefore: 'v1',
        method: 'copy-in-place',
        keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k1',
        etagAfter: '"e2"',
      }),
    );
    // Bucket,Key,VersionId,TaskStatus,HTTPStatusCode,ErrorCode,ResultMessage; the ETag's quotes
    // make the message a quoted field with its quotes doubled.
    expect(row).toBe(
      'b,data/a.csv,v1,succeeded,200,,"s3-seal encrypted; method copy-in-place; key arn:aws:kms:eu-west-1:111122223333:key/k1; etag ""e2""; run r1"\n',
    );
  });

  it('URL-encodes keys, so commas, quotes, line breaks and plus signs never break a row', () => {
    const key = 'odd/a,b "c"\nd+e f%g/é.txt';
    expect(batchReportKey(key)).toBe('odd/a%2Cb%20%22c%22%0Ad%2Be%20f%25g/%C3%A9.txt');
    expect(decodeURIComponent(batchReportKey(key))).toBe(key);
    const row = batchCompletionRow(record({ decision: 'compliant', key, reason: 'sse-kms, policy key' }));
    expect(row).toBe(
      'b,odd/a%2Cb%20%22c%22%0Ad%2Be%20f%25g/%C3%A9.txt,,succeeded,200,,"s3-seal compliant; reason sse-kms, policy key; run r1"\n',
    );
    expect(row.split('\n')).toHaveLength(2);
  });

  it('maps every s3-seal outcome to a task status, HTTP status and error code', () => {
    const of = (decision: AuditRecord['decision'], reason?: string) => {
      const r = batchTaskResult({ decision, reason });
      return `${r.taskStatus} ${r.httpStatusCode} ${r.errorCode}`.trim();
    };
    expect(of('encrypted')).toBe('succeeded 200');
    expect(of('rewrapped')).toBe('succeeded 200');
    expect(of('compliant', 'SSE-S3')).toBe('succeeded 200');
    expect(of('skipped', 'missing')).toBe('failed 404 NoSuchKey');
    expect(of('skipped', 'deleted during processing')).toBe('failed 404 NoSuchKey');
    expect(of('skipped', 'archived')).toBe('failed 403 InvalidObjectState');
    expect(of('skipped', 'sse-c')).toBe('failed 200 PermanentFailure');
    expect(of('superseded', 'object changed during processing')).toBe('failed 412 PreconditionFailed');
    expect(of('failed', 'KmsAccessDeniedError')).toBe('failed 200 PermanentFailure');
  });

  it('writes a failure with its error, quoting a message that holds a comma', () => {
    expect(
      batchCompletionRow(
        record({
          decision: 'failed',
          key: 'x',
          versionIdBefore: 'null',
          error: 'AccessDenied: kms:Encrypt, key k1',
        }),
      ),
    ).toBe(
      'b,x,null,failed,200,PermanentFailure,"s3-seal failed; error AccessDenied: kms:Encrypt, key k1; run r1"\n',
    );
  });
});
