import { describe, expect, it } from 'vitest';
import type { AppendHints, AuditLog, AuditRecord } from '../../../../shared/audit/audit-log.js';
import { SETTLE_CONCURRENCY, type SettledRow, settleRows } from '../../../../shared/inventory/settle-rows.js';

/** An audit log that records appends and how many were in flight at once. */
function recordingAudit() {
  const appended: Array<{ record: AuditRecord; hints?: AppendHints }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const audit: AuditLog = {
    async append(record, hints) {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      appended.push({ record, hints });
      inFlight -= 1;
    },
  };
  return { audit, appended, maxInFlight: () => maxInFlight };
}

const at = new Date('2026-11-23T19:00:00Z');
const compliant = (key: string, etag?: string): SettledRow => ({
  bucket: 'b',
  key,
  jobId: `job-${key}`,
  etag,
  decision: { action: 'compliant', reason: 'SSE-S3' },
});

describe('settleRows', () => {
  it('appends one record per row, naming the inventory, with the ETag as a HEAD shows it', async () => {
    const { audit, appended } = recordingAudit();
    await settleRows(
      [
        compliant('a', 'abc'),
        { ...compliant('c'), decision: { action: 'skip', reason: 'sse-c', detail: 'SSE-C' } },
        compliant('q', '"quoted"'),
      ],
      { runId: 'r1', mode: 'sse-s3' },
      { audit, actor: 'scan', now: () => at },
    );
    const byKey = new Map(appended.map((a) => [a.record.key, a]));
    expect(byKey.get('a')).toEqual({
      record: {
        decision: 'compliant',
        runId: 'r1',
        jobId: 'job-a',
        actor: 'scan',
        bucket: 'b',
        key: 'a',
        mode: 'sse-s3',
        etagBefore: '"abc"',
        versionIdBefore: undefined,
        reason: 'SSE-S3 (from the inventory row)',
        at: at.toISOString(),
      },
      hints: { countReason: undefined },
    });
    // A skip counts under the HEAD path's reason.
    expect(byKey.get('c')).toMatchObject({
      record: { decision: 'skipped', reason: 'sse-c: SSE-C (from the inventory row)', etagBefore: undefined },
      hints: { countReason: 'sse-c' },
    });
    expect(byKey.get('q')!.record.etagBefore).toBe('"quoted"');
  });

  it(`keeps at most ${SETTLE_CONCURRENCY} appends in flight, and settles every row`, async () => {
    const { audit, appended, maxInFlight } = recordingAudit();
    const rows = Array.from({ length: 100 }, (_, i) => compliant(`k${i}`, 'e'));
    await settleRows(rows, { runId: 'r', mode: 'sse-s3' }, { audit, actor: 'scan' });
    expect(appended.map((a) => a.record.key).sort()).toEqual(rows.map((r) => r.key).sort());
    expect(maxInFlight()).toBe(SETTLE_CONCURRENCY);
  });

  it('fails as the append fails (the chunk is redelivered and appends again)', async () => {
    const audit: AuditLog = { append: async () => Promise.reject(new Error('throttled')) };
    await expect(
      settleRows([compliant('a', 'e')], { runId: 'r', mode: 'sse-s3' }, { audit, actor: 'scan' }),
    ).rejects.toThrow('throttled');
  });

  it('settles the rows together when it can, and appends alone only the rows sent apart', async () => {
    const { audit, appended } = recordingAudit();
    const together: string[][] = [];
    const jobCloser = {
      async closeAll(requests: Array<{ record: AuditRecord; ref: { operation: string }; ledger?: unknown }>) {
        together.push(requests.map((r) => r.record.key));
        expect(requests.every((r) => r.ledger === undefined && r.ref.operation === 'encrypt')).toBe(true);
        // The second row's record is there already (a redelivered chunk): apart.
        return requests.map((r) => (r.record.key === 'k1' ? ('apart' as const) : ('closed' as const)));
      },
    };
    const rows = Array.from({ length: 5 }, (_, i) => compliant(`k${i}`, 'e'));
    await settleRows(rows, { runId: 'r', mode: 'sse-s3' }, { audit, jobCloser, actor: 'scan' });
    expect(together).toEqual([['k0', 'k1', 'k2', 'k3', 'k4']]);
    expect(appended.map((a) => a.record.key)).toEqual(['k1']);
  });
});
