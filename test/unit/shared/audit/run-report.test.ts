import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../../shared/audit/audit-log.js';
import { escapeHtml, renderRunReport, throughput } from '../../../../shared/audit/run-report.js';
import { emptyCounts, type Run } from '../../../../shared/runs/run-store.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, s)).toISOString();
const record = (
  s: number,
  decision: AuditRecord['decision'],
  key = `k${s}`,
  reason?: string,
): AuditRecord => ({
  decision,
  runId: 'r',
  jobId: `j${s}`,
  actor: 'a',
  bucket: 'b',
  key,
  mode: 'envelope',
  reason,
  at: at(s),
});

describe('the run report', () => {
  it('escapes everything that comes from object keys and reasons', () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe(
      '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;',
    );
  });

  it('slices decisions over time for the chart', () => {
    const { counts, sliceMs } = throughput([0, 0, 1, 2, 2, 2].map((s) => ({ at: at(s) })));
    expect(sliceMs).toBe(1000);
    expect(counts).toEqual([2, 1, 3]);
    expect(throughput([]).counts).toEqual([]);
  });

  it('lists skipped and failed objects with reasons, and the totals', () => {
    const run: Run = {
      runId: 'r',
      bucket: 'b',
      prefix: '',
      mode: 'envelope',
      startedAt: at(0),
      discovered: 3,
      pagesScanned: 1,
      scanComplete: true,
      counts: { ...emptyCounts(), encrypted: 1, skipped: 1, failed: 1 },
    };
    const html = renderRunReport(run, [
      record(0, 'encrypted'),
      record(1, 'skipped', 'x<y', 'archived'),
      record(2, 'failed', 'z', 'KMS key is Disabled'),
      record(3, 'skipped', '<script>alert(1)</script>', '<img src=x onerror=alert(2)>'),
    ]);
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img');
    expect(html).toContain('s3://b/&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('<tr><th>failed</th><td>1</td></tr>');
    expect(html).toContain('<td><code>s3://b/x&#60;y</code></td><td>archived</td>');
    expect(html).toContain('KMS key is Disabled');
    expect(html).toContain('Skipped, superseded and failed objects (3)');
  });
});
