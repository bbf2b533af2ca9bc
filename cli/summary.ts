import { SSE_C_FAILURE_REASONS } from '../shared/jobs/sse-c-job.js';
import { type Run, settled, WARNING_REASONS } from '../shared/runs/run-store.js';
import { keyMoveLines } from './key-moves.js';

// Failures are counted by error class (`…Error`) or by these named reasons; other reasons are skips.
const FAILURE_REASONS = new Set<string>(SSE_C_FAILURE_REASONS);
const isFailureReason = (reason: string) => reason.endsWith('Error') || FAILURE_REASONS.has(reason);

/**
 * Prints a run's outcome and returns the exit code: 0 only when every discovered object ended
 * encrypted, already compliant, or skipped with a reason.
 */
export function printSummary(run: Run, unsettled: number, seconds: number): number {
  const c = run.counts;
  const lines = [
    `run ${run.runId} (${run.mode}) s3://${run.bucket}/${run.prefix}`,
    `  objects found        ${run.discovered}`,
    `  ${run.mode === 'rewrap' ? 're-wrapped   ' : 'encrypted    '}        ${c.encrypted}`,
    ...Object.entries(c.reasons)
      .filter(([reason]) => WARNING_REASONS.has(reason))
      .map(
        ([reason, n]) =>
          `    warning: ${reason.padEnd(19)}${n}${reason === 'acl-not-carried' ? '  (ACL grants dropped by the rewrite; --keep-acl re-applies them)' : ''}`,
      ),
    `  already compliant    ${c.compliant}`,
    `  skipped              ${c.skipped}`,
    ...Object.entries(c.reasons)
      .filter(([reason]) => !isFailureReason(reason) && !WARNING_REASONS.has(reason))
      .map(([reason, n]) => `    ${reason.padEnd(19)}${n}`),
    `  superseded           ${c.superseded}  (written by someone else meanwhile; newer bytes kept, run again to protect them)`,
    `  failed               ${c.failed}`,
    ...Object.entries(c.reasons)
      .filter(([reason]) => isFailureReason(reason))
      .map(([reason, n]) => `    ${reason.padEnd(19)}${n}`),
  ];
  lines.push(...keyMoveLines(run));
  if (unsettled > 0)
    lines.push(`  unfinished           ${unsettled}  (see \`s3-seal\` DLQs: their jobs did not settle)`);
  lines.push(
    `  time                 ${seconds.toFixed(1)} s (${(settled(c) / Math.max(seconds, 0.001)).toFixed(1)} objects/s)`,
  );
  console.log(lines.join('\n'));
  return c.failed > 0 || c.superseded > 0 || unsettled > 0 ? 1 : 0;
}
