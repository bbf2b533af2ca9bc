import { runStatus } from '../shared/runs/run-status.js';
import type { Run } from '../shared/runs/run-store.js';

/** Where an interrupted run stands, what remains, and the exact command that completes it. */
export function printInterrupted(run: Run, chunksGivenBack: number): void {
  const status = runStatus(run);
  const c = run.counts;
  const total = `${run.discovered}${run.scanComplete ? '' : '+'}`;
  console.log(
    [
      `run ${run.runId} interrupted at ${status.settled}/${total} objects`,
      `  ${run.mode === 'rewrap' ? 're-wrapped' : 'encrypted'} ${c.encrypted} · compliant ${c.compliant} · skipped ${c.skipped} · superseded ${c.superseded} · failed ${c.failed}`,
      `  remaining ${status.remaining}${run.scanComplete ? '' : ' so far (the scan is not finished)'}: their chunks stay queued, and a chunk stopped mid-way is read again from S3 before any write`,
      ...(chunksGivenBack > 0 ? [`  gave back ${chunksGivenBack} chunk(s) stopped in flight`] : []),
      `resume with: s3-seal resume ${run.runId}`,
    ].join('\n'),
  );
}
