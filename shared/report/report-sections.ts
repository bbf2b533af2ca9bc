import { humanBytes } from '../format-bytes.js';
import type { Run } from '../runs/run-store.js';
import { displayS3Uri } from '../s3-uri.js';
import { escapeHtml } from './html.js';
import { remedyFor } from './remedies.js';
import type { ReportContext } from './report-context.js';
import type { RunFacts } from './run-facts.js';

/** A byte count for an auditor: human units and the exact number (`1.5 KiB (1,536 bytes)`). */
export function formatBytes(n: number): string {
  return n < 1024 ? humanBytes(n) : `${humanBytes(n)} (${n.toLocaleString('en-US')} bytes)`;
}

export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${s.toFixed(1)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

const code = (text: unknown) => `<code>${escapeHtml(text)}</code>`;
const row = (label: string, html: string) =>
  `<tr><th scope="row">${escapeHtml(label)}</th><td>${html}</td></tr>`;

/** The run's identity: what, where, under which keys, when, by whom, with which tool. */
export function detailsTable(run: Run, facts: RunFacts, context: ReportContext, done: boolean): string {
  const end = run.closedAt ?? (done ? (facts.lastAt ?? run.lastProgressAt) : undefined);
  const sources = Object.entries(facts.sourceKeys).sort(([, a], [, b]) => b - a);
  const target = run.mode === 'sse-s3' ? 'S3-managed key (SSE-S3)' : run.keyArn ? code(run.keyArn) : 'none';
  const source =
    sources.length > 0
      ? sources.map(([arn, n]) => `${code(arn)} (${n} object${n === 1 ? '' : 's'})`).join('<br>')
      : run.fromKeyArn
        ? code(run.fromKeyArn)
        : 'none: the objects it protected were under no KMS key (unencrypted or SSE-S3)';
  const bytes = `${formatBytes(facts.bytesProtected)} protected of ${formatBytes(facts.bytesDecided)} decided${facts.sizesUnknown > 0 ? ` (${facts.sizesUnknown} records without a size)` : ''}`;
  return `<table id="details"><tbody>
${row('run', code(run.runId))}
${row('scope', code(displayS3Uri({ bucket: run.bucket, key: run.prefix })))}
${row('mode', escapeHtml(run.mode === 'envelope' ? `envelope (S3EC ${run.format ?? 'v3'})` : run.mode))}
${row('target key', target)}
${row('source key', source)}
${row('started', escapeHtml(run.startedAt))}
${row('ended', end ? escapeHtml(end) : 'not finished')}
${row('duration', end && run.startedAt ? formatDuration(Date.parse(end) - Date.parse(run.startedAt)) : 'not finished')}
${row('actor', `${facts.actors.map(code).join(', ') || 'none recorded'}${run.trigger ? `; started by ${escapeHtml(run.trigger)}` : ''}`)}
${row('bytes', escapeHtml(bytes))}
${row('tool', `s3-seal ${escapeHtml(context.toolVersion)}`)}
</tbody></table>`;
}

/**
 * The verify verdict: checked live when the report was asked for it (`report --verify`), else read
 * from the run's records, saying which and how to check it now.
 */
export function verifySection(run: Run, facts: RunFacts, context: ReportContext): string {
  const c = run.counts;
  const left = c.skipped + c.superseded + c.failed;
  const scope = displayS3Uri({ bucket: run.bucket, key: run.prefix });
  const command =
    run.mode === 'rewrap'
      ? `s3-seal verify ${scope} --key ${run.keyArn ?? 'KEY'}`
      : `s3-seal verify ${scope} --mode ${run.mode}${run.keyArn ? ` --key ${run.keyArn}` : ''}`;
  const live = context.liveVerify;
  if (live && 'error' in live) {
    return `<p class="verdict bad" id="verify-result">NOT CHECKED: the live verify failed: ${escapeHtml(live.error)}</p>
<p class="note">Run <code>${escapeHtml(command)}</code> to check the bucket as it is now.</p>`;
  }
  if (live) {
    const verdict =
      live.problems === 0 && live.checked > 0
        ? `<p class="verdict good" id="verify-result">PASS (checked live): all ${live.checked} current objects under ${escapeHtml(scope)} are protected as the run asked.</p>`
        : live.checked === 0
          ? `<p class="verdict bad" id="verify-result">NOTHING CHECKED (live): no current objects under ${escapeHtml(scope)}.</p>`
          : `<p class="verdict bad" id="verify-result">NOT COMPLIANT (checked live): ${live.problems} of ${live.checked} current objects under ${escapeHtml(scope)} are not protected as the run asked.</p>`;
    const named = live.named
      .map((p) => `<li><code>${escapeHtml(p.key)}</code>: ${escapeHtml(p.problem)}</li>`)
      .join('');
    const more = live.problems - live.named.length;
    return `${verdict}
${named ? `<ul id="verify-problems">${named}</ul>${more > 0 ? `<p class="more">and ${more} more (every one: <code>${escapeHtml(command)}</code>)</p>` : ''}` : ''}
<p class="note">Checked at ${escapeHtml(live.at)} as <code>${escapeHtml(command)}</code> does: every current object HEADed, objects written since the run included.</p>`;
  }
  const verdict =
    left === 0
      ? `<p class="verdict good" id="verify-result">PASS: every object the run decided is protected (${c.encrypted + c.compliant}).</p>`
      : `<p class="verdict bad" id="verify-result">NOT COMPLIANT: ${left} of ${c.encrypted + c.compliant + left} objects the run decided are not protected (${facts.problems.length} reason${facts.problems.length === 1 ? '' : 's'}, below).</p>`;
  return `${verdict}
<p class="note">Read from the run's audit records, not checked live: this is what <code>${escapeHtml(command)}</code> reports for these objects unless they changed since the run. Run it, or <code>s3-seal report --verify</code>, to check the bucket as it is now.</p>`;
}

/** The run digest, how to check it, and the check run while this report was generated. */
export function auditSection(run: Run, context: ReportContext): string {
  const digest = run.auditDigest
    ? `<p>Run digest ${code(run.auditDigest)}${run.digestAlgorithm ? ` (${escapeHtml(run.digestAlgorithm)})` : ''} over ${run.auditRecords ?? 0} audit records, closed ${escapeHtml(run.closedAt ?? '')}.</p>`
    : '<p>The run is not closed: it has no digest yet.</p>';
  const check = context.auditCheck;
  const result = !check
    ? ''
    : 'error' in check
      ? `<p class="verdict bad" id="audit-check">Audit check could not run: ${escapeHtml(check.error)}</p>`
      : check.problems.length === 0
        ? `<p class="verdict good" id="audit-check">Audit check at ${escapeHtml(context.generatedAt.toISOString())}: no problems in ${check.records} records of ${check.objects} objects; digest ${escapeHtml(check.digest ?? 'not checked')}.</p>`
        : `<p class="verdict bad" id="audit-check">Audit check at ${escapeHtml(context.generatedAt.toISOString())}: ${check.problems.length} problem(s); digest ${escapeHtml(check.digest ?? 'not checked')}.</p><ul>${check.problems
            .slice(0, 20)
            .map((p) => `<li>${escapeHtml(p)}</li>`)
            .join('')}</ul>`;
  return `${digest}${result}
<p>Check it yourself: <code>s3-seal audit verify --run ${escapeHtml(run.runId)}</code> recomputes every record's hash chain and this digest, and names any record altered, removed or inserted (exit 1 if any).</p>`;
}

export function versionsSection(run: Run, context: ReportContext): string {
  const left = context.versionsLeft;
  const scope = displayS3Uri({ bucket: run.bucket, key: run.prefix });
  if (!left) return '<p>Not checked.</p>';
  if ('error' in left) return `<p id="versions-left">Not checked: ${escapeHtml(left.error)}</p>`;
  if (!left.versioned)
    return '<p id="versions-left">0: the bucket does not keep versions, so no plaintext copy remains.</p>';
  return `<p id="versions-left"><strong>${left.plaintext}</strong> plaintext noncurrent version(s) of ${left.noncurrent} noncurrent under ${code(scope)}${left.checked < left.noncurrent ? ` (the first ${left.checked} checked)` : ''}, counted at ${escapeHtml(context.generatedAt.toISOString())}.</p>
<p class="note">s3-seal protects current versions and never deletes older ones: their plaintext stays readable to anyone allowed s3:GetObjectVersion. List them with <code>s3-seal verify ${escapeHtml(scope)} --versions</code>; delete them (or let a lifecycle rule expire them) when policy allows.</p>`;
}

/** Objects left unprotected, one group per reason: what happened, what to do, which objects. */
export function problemsSection(run: Run, facts: RunFacts): string {
  if (facts.problems.length === 0)
    return '<p id="problems">None: every object the run decided is protected.</p>';
  const groups = facts.problems.map((group) => {
    const { title, remedy } = remedyFor(group.reason);
    const items = group.sample
      .map(
        (r) =>
          `<li><code>${escapeHtml(displayS3Uri({ bucket: r.bucket, key: r.key }))}</code>${r.error ? ` <span class="error">${escapeHtml(r.error)}</span>` : ''}</li>`,
      )
      .join('');
    const more = group.count - group.sample.length;
    return `<section class="reason" data-reason="${escapeHtml(group.reason)}">
<h3>${escapeHtml(group.decision)} · ${escapeHtml(group.reason)} · ${group.count} object${group.count === 1 ? '' : 's'}</h3>
<p>${escapeHtml(title)}. <strong>Remedy:</strong> ${escapeHtml(remedy)}</p>
<ul>${items}</ul>${more > 0 ? `<p class="more">and ${more} more (every one: <code>s3-seal audit export --run ${escapeHtml(run.runId)} --output-format csv</code>)</p>` : ''}
</section>`;
  });
  return `<div id="problems">${groups.join('\n')}</div>`;
}
