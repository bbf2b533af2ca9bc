import { SSE_C_FAILURE_REASONS } from '../shared/jobs/sse-c-job.js';
import { isSourceKeyCounter, sourceKeyOfCounter } from '../shared/rewrap/source-key-reason.js';
import { type Run, settled, WARNING_REASONS } from '../shared/runs/run-store.js';
import { alignRows, type Row } from './columns.js';
import { keyMoveLines } from './key-moves.js';

// Failures are counted by error class (`…Error`) or by these named reasons; other reasons are skips.
const FAILURE_REASONS = new Set<string>(SSE_C_FAILURE_REASONS);
const isFailureReason = (reason: string) => reason.endsWith('Error') || FAILURE_REASONS.has(reason);

/**
 * The lines of a run's summary. A re-wrap run (`rewrap`, `rotate`) names its moves "re-wrapped"
 * and lists each source key on its own line with its count (`sourceKeys`: the ARNs the CLI knows,
 * printed in full; a key it does not know shows its id). Values share one column, past the longest
 * label, so no reason runs into its number.
 */
export function summaryLines(
  run: Run,
  unsettled: number,
  seconds: number,
  sourceKeys: string[] = [],
): string[] {
  const c = run.counts;
  const rewrap = run.mode === 'rewrap';
  const reasons = Object.entries(c.reasons);
  const moved = rewrap ? reasons.filter(([reason]) => isSourceKeyCounter(reason)) : [];
  const rest = reasons.filter(([reason]) => !moved.some(([m]) => m === reason));
  const under = (entries: Array<[string, number]>, label = (reason: string) => reason): Row[] =>
    entries.map(([reason, n]) => ({ label: label(reason), value: n, depth: 1 }));
  const rows: Row[] = [
    { label: 'objects found', value: run.discovered },
    { label: rewrap ? 're-wrapped' : 'encrypted', value: c.encrypted },
    ...under(moved, (reason) => `from ${sourceKeyOfCounter(reason, sourceKeys)}`),
    ...rest
      .filter(([reason]) => WARNING_REASONS.has(reason))
      .map(
        ([reason, n]): Row => ({
          label: `warning: ${reason}`,
          value: n,
          depth: 1,
          note:
            reason === 'acl-not-carried'
              ? '(ACL grants dropped by the rewrite; --keep-acl re-applies them)'
              : undefined,
        }),
      ),
    { label: 'already compliant', value: c.compliant },
    { label: 'skipped', value: c.skipped },
    ...under(rest.filter(([reason]) => !isFailureReason(reason) && !WARNING_REASONS.has(reason))),
    {
      label: 'superseded',
      value: c.superseded,
      note: '(written by someone else meanwhile; newer bytes kept, run again to protect them)',
    },
    { label: 'failed', value: c.failed },
    ...under(rest.filter(([reason]) => isFailureReason(reason))),
  ];
  if (unsettled > 0)
    rows.push({
      label: 'unfinished',
      value: unsettled,
      note: '(see `s3-seal` DLQs: their jobs did not settle)',
    });
  rows.push({
    label: 'time',
    value: `${seconds.toFixed(1)} s (${(settled(c) / Math.max(seconds, 0.001)).toFixed(1)} objects/s)`,
  });
  // Objects re-keyed or left by source key, and watches a re-wrap moved: before the closing lines.
  const aligned = alignRows(rows);
  const closing = unsettled > 0 ? 2 : 1;
  return [
    `run ${run.runId} (${run.mode}) s3://${run.bucket}/${run.prefix}`,
    ...aligned.slice(0, -closing),
    ...keyMoveLines(run),
    ...aligned.slice(-closing),
  ];
}

/**
 * Prints a run's outcome and returns the exit code: 0 only when every discovered object ended
 * encrypted (re-wrapped), already compliant, or skipped with a reason.
 */
export function printSummary(
  run: Run,
  unsettled: number,
  seconds: number,
  sourceKeys: string[] = [],
): number {
  console.log(summaryLines(run, unsettled, seconds, sourceKeys).join('\n'));
  const c = run.counts;
  return c.failed > 0 || c.superseded > 0 || unsettled > 0 ? 1 : 0;
}
