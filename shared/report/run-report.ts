import type { AuditRecord } from '../audit/audit-record.js';
import { runStatus } from '../runs/run-status.js';
import type { Run } from '../runs/run-store.js';
import { displayS3Uri } from '../s3-uri.js';
import { type Bar, barChart } from './bar-chart.js';
import { escapeHtml } from './html.js';
import type { ReportContext } from './report-context.js';
import {
  auditSection,
  detailsTable,
  problemsSection,
  verifySection,
  versionsSection,
} from './report-sections.js';
import { reportedRun, runFacts } from './run-facts.js';

/** Protected states, whatever key (the verdict, not the chart, says whether it is the right one). */
const GOOD_STATE = /^(sse-kms|dsse-kms|envelope-v2|envelope-v3|sse-s3)\b/;

const byCount = (counts: Record<string, number>, tone: (label: string) => Bar['tone']): Bar[] =>
  Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([label, value]) => ({ label, value, tone: tone(label) }));

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}h3{font-size:1rem;margin:1rem 0 .25rem}
table{border-collapse:collapse}td,th{padding:.25rem .75rem;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top}
th{font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12.5px;word-break:break-all}
.verdict{font-weight:600;padding:.5rem .75rem;border-radius:4px}.verdict.good{background:#dafbe1;color:#116329}
.verdict.bad{background:#ffebe9;color:#a40e26}.note,.more{color:#57606a}.error{color:#a40e26}
figure{margin:1rem 0}.chart text{font:12px system-ui,sans-serif;fill:#1b1f24}.chart .title{font-weight:600;font-size:13px}
.chart .tick,.chart .axis-title{fill:#57606a}.chart .grid{stroke:#eaeef2}.chart .axis{stroke:#57606a}
.chart .good rect{fill:#2da44e}.chart .neutral rect{fill:#2f6feb}.chart .bad rect{fill:#cf222e}
@media print{body{margin:0}h2{break-after:avoid}section.reason{break-inside:avoid}}
`;

/**
 * One self-contained HTML page an auditor can file for a run (docs/reports.md): what was done,
 * where, under which keys, when, by whom and with which tool; objects by protection before and
 * after; outcomes by reason; the verify verdict; the run digest and how to check it; plaintext
 * versions left; and every reason objects were left unprotected, with its remedy and a bounded
 * sample. No external asset and no script is needed to read it: charts are inline SVG (one
 * optional line of script only records their laid-out size for a browser check).
 */
export function renderRunReport(recorded: Run, records: AuditRecord[], context: ReportContext): string {
  const run = reportedRun(recorded, records);
  const status = runStatus(run, context.generatedAt);
  const facts = runFacts(run, records);
  const c = run.counts;
  const done = status.state === 'done';
  const totals: Array<[string, number]> = [
    [run.mode === 'rewrap' ? 're-wrapped' : 'encrypted', c.encrypted],
    ['already compliant', c.compliant],
    ['skipped', c.skipped],
    ['superseded', c.superseded],
    ['failed', c.failed],
  ];
  const outcomeTone = (label: string): Bar['tone'] =>
    /^(encrypted|rewrapped|already compliant)$/.test(label) ? 'good' : 'bad';
  const stateTone = (label: string): Bar['tone'] =>
    GOOD_STATE.test(label) ? 'good' : label === 'not recorded' ? 'neutral' : 'bad';
  const statesMax = Math.max(0, ...Object.values(facts.statesBefore), ...Object.values(facts.statesAfter));
  const scope = displayS3Uri({ bucket: run.bucket, key: run.prefix });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>s3-seal run ${escapeHtml(run.runId)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body data-run="${escapeHtml(run.runId)}">
<h1>s3-seal run <code>${escapeHtml(run.runId)}</code></h1>
<p>${escapeHtml(run.mode)}${run.keyArn ? ` under <code>${escapeHtml(run.keyArn)}</code>` : ''} on <code>${escapeHtml(scope)}</code>:
${escapeHtml(status.state)}, ${run.watch ? `${status.settled} objects decided (live enforcement: each new upload is one job, no scan)` : `${status.settled} of ${run.discovered} objects decided`}${status.ratePerSecond ? `, ${status.ratePerSecond.toFixed(1)} objects/s` : ''}.</p>
<h2>Verify result</h2>
${verifySection(run, facts, context)}
<h2>Run</h2>
${detailsTable(run, facts, context, done)}
<h2>Outcomes</h2>
<table id="totals"><tbody>
${totals.map(([label, n]) => `<tr><th>${label}</th><td>${n}</td></tr>`).join('\n')}
</tbody></table>
${barChart({ id: 'outcomes-chart', title: 'Outcomes by reason', xLabel: 'objects', yLabel: 'outcome', bars: byCount(facts.outcomes, outcomeTone) })}
<h2>Protection before and after</h2>
<table id="states"><thead><tr><th>protection</th><th>before the run</th><th>after the run</th></tr></thead><tbody>
${[...new Set([...Object.keys(facts.statesBefore), ...Object.keys(facts.statesAfter)])]
  .sort()
  .map(
    (s) =>
      `<tr><th>${escapeHtml(s)}</th><td class="n">${facts.statesBefore[s] ?? 0}</td><td class="n">${facts.statesAfter[s] ?? 0}</td></tr>`,
  )
  .join('\n')}
</tbody></table>
${barChart({ id: 'before-chart', title: 'Objects by protection before the run', xLabel: 'objects', yLabel: 'protection', bars: byCount(facts.statesBefore, stateTone), max: statesMax })}
${barChart({ id: 'after-chart', title: 'Objects by protection after the run', xLabel: 'objects', yLabel: 'protection', bars: byCount(facts.statesAfter, stateTone), max: statesMax })}
<h2>Audit trail</h2>
${auditSection(run, context)}
<h2>Plaintext versions left</h2>
${versionsSection(run, context)}
<h2>Objects not protected, by reason (${c.skipped + c.superseded + c.failed})</h2>
${problemsSection(run, facts)}
<p class="note">Generated ${escapeHtml(context.generatedAt.toISOString())} by s3-seal ${escapeHtml(context.toolVersion)} from the run record and its ${records.length} audit records.</p>
<script>/* Optional, not needed to read the page: records the laid-out chart widths, so a headless browser check can see them rendered. */
document.body.dataset.chartWidths = Array.from(document.querySelectorAll('svg.chart'), (svg) => Math.round(svg.getBoundingClientRect().width)).join(' ');
</script>
</body></html>
`;
}
