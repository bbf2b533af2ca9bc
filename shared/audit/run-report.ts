import { runStatus } from '../runs/run-status.js';
import type { Run } from '../runs/run-store.js';
import type { AuditRecord } from './audit-log.js';

export const escapeHtml = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Decisions per time slice, for the throughput chart: at most `slices` bars over the run. */
export function throughput(records: Pick<AuditRecord, 'at'>[], slices = 40) {
  const times = records.map((r) => Date.parse(r.at)).filter(Number.isFinite);
  if (times.length === 0) return { start: 0, sliceMs: 1000, counts: [] as number[] };
  const start = Math.min(...times);
  const span = Math.max(...times) - start;
  const sliceMs = Math.max(1000, Math.ceil((span + 1) / slices));
  const counts = new Array<number>(Math.floor(span / sliceMs) + 1).fill(0);
  for (const t of times) counts[Math.floor((t - start) / sliceMs)]! += 1;
  return { start, sliceMs, counts };
}

function chart(records: AuditRecord[]): string {
  const { sliceMs, counts } = throughput(records);
  if (counts.length === 0) return '<p>No decisions recorded.</p>';
  const max = Math.max(...counts);
  const [width, height, bar] = [640, 160, 640 / counts.length];
  const bars = counts
    .map((n, i) => {
      const h = (n / max) * (height - 20);
      const rate = (n / (sliceMs / 1000)).toFixed(1);
      return `<rect x="${(i * bar).toFixed(1)}" y="${(height - h).toFixed(1)}" width="${Math.max(1, bar - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${n} objects (${rate}/s)</title></rect>`;
    })
    .join('');
  return `<svg id="throughput" role="img" aria-label="objects decided per ${sliceMs / 1000} s" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${bars}</svg>
<p class="note">Objects decided per ${(sliceMs / 1000).toFixed(0)} s slice; peak ${max} (${(max / (sliceMs / 1000)).toFixed(1)} objects/s).</p>`;
}

/**
 * One self-contained HTML page for a run (no external assets, no scripts needed to read it):
 * totals by outcome, throughput over time, and every skipped or failed object with its reason.
 */
export function renderRunReport(run: Run, records: AuditRecord[], generatedAt = new Date()): string {
  const status = runStatus(run, generatedAt);
  const c = run.counts;
  const totals: Array<[string, number]> = [
    [run.mode === 'rewrap' ? 're-wrapped' : 'encrypted', c.encrypted],
    ['already compliant', c.compliant],
    ['skipped', c.skipped],
    ['superseded', c.superseded],
    ['failed', c.failed],
  ];
  const problems = records
    .filter((r) => r.decision === 'skipped' || r.decision === 'failed' || r.decision === 'superseded')
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  const rows = problems
    .map(
      (r) =>
        `<tr class="${escapeHtml(r.decision)}"><td>${escapeHtml(r.decision)}</td><td><code>s3://${escapeHtml(r.bucket)}/${escapeHtml(r.key)}</code></td><td>${escapeHtml(r.reason ?? r.error)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>s3-seal run ${escapeHtml(run.runId)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1b1f24}table{border-collapse:collapse}
td,th{padding:.25rem .75rem;border-bottom:1px solid #d0d7de;text-align:left}
#throughput rect{fill:#2f6feb}.failed td{color:#b42318}.note{color:#57606a}code{font-size:13px}
</style></head>
<body data-run="${escapeHtml(run.runId)}">
<h1>s3-seal run <code>${escapeHtml(run.runId)}</code></h1>
<p>${escapeHtml(run.mode ?? 'live enforcement')}${run.keyArn ? ` under <code>${escapeHtml(run.keyArn)}</code>` : ''} on <code>s3://${escapeHtml(run.bucket)}/${escapeHtml(run.prefix)}</code>;
started ${escapeHtml(run.startedAt)}${run.trigger ? ` by ${escapeHtml(run.trigger)}` : ''}; ${escapeHtml(status.state)},
${run.watch ? `${status.settled} objects decided (live enforcement: each new upload is one job, no scan)` : `${status.settled} of ${run.discovered} objects`}${status.ratePerSecond ? `, ${status.ratePerSecond.toFixed(1)} objects/s` : ''}.
${run.auditDigest ? `Closed with audit digest <code>${escapeHtml(run.auditDigest)}</code> over ${run.auditRecords} records.` : 'Not closed yet.'}</p>
<h2>Totals</h2>
<table id="totals"><tbody>
${totals.map(([label, n]) => `<tr><th>${label}</th><td>${n}</td></tr>`).join('\n')}
</tbody></table>
<h2>Throughput</h2>
${chart(records)}
<h2>Skipped, superseded and failed objects (${problems.length})</h2>
${problems.length === 0 ? '<p>None.</p>' : `<table id="problems"><thead><tr><th>decision</th><th>object</th><th>reason</th></tr></thead><tbody>\n${rows}\n</tbody></table>`}
<p class="note">Generated ${escapeHtml(generatedAt.toISOString())} from the run record and its audit records.</p>
<script>/* Optional: records the laid-out chart size, so a headless browser check can see it rendered. */
const chart = document.getElementById('throughput');
if (chart) document.body.dataset.chartWidth = String(Math.round(chart.getBoundingClientRect().width));
</script>
</body></html>
`;
}
