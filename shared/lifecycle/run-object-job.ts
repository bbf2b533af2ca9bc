import { classifyAwsError } from '../aws-errors.js';
import { recordJobDuration } from '../job-timings.js';
import type { LedgerItem } from '../ledger/ledger.js';
import type { ObjectHead } from '../s3/object-head.js';
import { runClaimedWrite } from './claimed-write.js';
import { JobContext } from './job-context.js';
import type { JobResult } from './job-result.js';
import type { LifecycleDeps, ObjectOperation } from './object-operation.js';
import { settleDecision } from './settle-decision.js';

/**
 * Runs one object job through the lifecycle every operation shares (docs/architecture.md, "The job
 * lifecycle"): HEAD → decide → claim → conditional S3 write → audit → finish. Safe to run any
 * number of times for the same job, concurrently or after a crash at any point.
 *
 * Throws only for what a retry can fix (a passing error, a live lease elsewhere, the deadline) and
 * for injected crashes; every permanent outcome is recorded in the ledger and the audit trail.
 */
export async function runObjectJob<W>(op: ObjectOperation<W>, deps: LifecycleDeps): Promise<JobResult> {
  const started = performance.now();
  try {
    return await runJob(new JobContext(op, deps));
  } finally {
    recordJobDuration(performance.now() - started);
  }
}

/** HEAD → decide → (decision | claimed write): the operation's plan picks the path. */
async function runJob<W>(ctx: JobContext<W>): Promise<JobResult> {
  const { op, deps, ref } = ctx;
  const head = await op.read().catch((error) => {
    throw classifyAwsError(error, 'HEAD failed', ref);
  });
  if (!head) return settleDecision(ctx, { action: 'decide', state: 'SKIPPED', reason: 'missing' });
  const item = op.readsItemFirst ? await deps.ledger.get(ref) : undefined;
  if (item && finishedByThisJob(ctx, item, head)) return { outcome: 'duplicate', detail: 'already done' };
  const plan = await op.decide(head, item);
  switch (plan.action) {
    case 'decide':
      return settleDecision(ctx, op.readsItemFirst ? { existing: { item }, ...plan } : plan);
    case 'write':
      return runClaimedWrite(ctx, plan);
    case 'duplicate':
      return { outcome: 'duplicate', reason: plan.reason, detail: plan.detail };
    case 'handed-off':
      return plan.result;
  }
}

/** This very job already finished on these bytes, its own write's included. */
function finishedByThisJob<W>(ctx: JobContext<W>, item: LedgerItem, head: ObjectHead): boolean {
  const { runId, jobId } = ctx.op.job;
  const terminal = item.state !== 'IN_PROGRESS' && item.state !== 'RETRY';
  return terminal && item.runId === runId && item.jobId === jobId && item.resultEtag === head.etag;
}
