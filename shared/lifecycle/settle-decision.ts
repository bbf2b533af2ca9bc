import type { LedgerItem } from '../ledger/ledger.js';
import { protectionBefore } from '../protection-state.js';
import type { ObjectHead } from '../s3/object-head.js';
import type { JobContext } from './job-context.js';
import type { JobResult } from './job-result.js';
import type { Decision } from './object-operation.js';

const OUTCOME_OF = { COMPLIANT: 'compliant', SKIPPED: 'skipped', FAILED: 'failed' } as const;

/** A decision without a claim: recorded once per run and ETag, then audited. */
export async function settleDecision<W>(ctx: JobContext<W>, plan: Decision): Promise<JobResult> {
  const { state, reason, head } = plan;
  const outcome = OUTCOME_OF[state];
  // Found as the job wants it: if this job's own attempt wrote it and died before the ledger
  // heard (its lease may have expired since), close that attempt with what happened.
  let likelyNewChain = false;
  if (state === 'COMPLIANT' && head) {
    const item = plan.existing ? plan.existing.item : await ctx.deps.ledger.get(ctx.ref);
    if (item && ctx.unfinishedOfThisRun(item) && ctx.op.landed(item, head)) {
      return reconcile(ctx, item, head);
    }
    // With no ledger item at all nothing was ever decided here: the audit chain is likely new.
    likelyNewChain = item === undefined;
  }
  await plan.before?.();
  const { job } = ctx.op;
  const decision = {
    ...ctx.ref,
    state,
    runId: job.runId,
    jobId: job.jobId,
    mode: job.mode,
    currentEtag: head?.etag,
    reason,
  };
  const fields = {
    reason,
    error: plan.error,
    etagBefore: head?.etag,
    versionIdBefore: head?.versionId,
    ...(head ? protectionBefore(head) : {}),
    ...plan.audit,
  };
  // With the jobs in flight beside it, decision and record in one transaction (docs/architecture.md,
  // "Batch-first storage"); `apart` (the decision's condition failed, or the record is there):
  // the steps one by one below, which tell a duplicate from a crashed earlier delivery.
  if (ctx.deps.jobCloser) {
    const request = {
      record: ctx.record(outcome, fields),
      hints: { likelyNewChain },
      ref: ctx.ref,
      ledger: { decision },
      now: ctx.now(),
    };
    if ((await ctx.deps.jobCloser.close(request)) === 'closed')
      return { outcome, reason, detail: plan.error };
  }
  const record = () => ctx.deps.ledger.recordDecision(decision, ctx.now());
  let recorded = await record();
  let existing = recorded ? undefined : await ctx.deps.ledger.get(ctx.ref);
  if (!recorded && (await ctx.releaseIfOwnerGone(existing))) {
    recorded = await record();
    existing = recorded ? undefined : await ctx.deps.ledger.get(ctx.ref);
  }
  if (!recorded) {
    // Another delivery holds or already finished this job. If it was this very decision, its
    // audit append may have died with that delivery: append it (a no-op if it is there).
    if (existing?.runId === job.runId && existing.jobId === job.jobId && existing.state === state) {
      await ctx.audit(outcome, fields);
    }
    return { outcome: 'duplicate', reason };
  }
  await ctx.audit(outcome, fields, { likelyNewChain });
  return { outcome, reason, detail: plan.error };
}

/** Closes this run's unfinished claim whose write S3 shows landed, without writing again. */
async function reconcile<W>(ctx: JobContext<W>, item: LedgerItem, head: ObjectHead): Promise<JobResult> {
  const completion = ctx.op.reconciled(item, head);
  const fields = {
    etagBefore: item.sourceEtag,
    versionIdBefore: item.sourceVersionId,
    method: item.method,
    ...completion.audit,
    reconciled: true,
  };
  if (item.state === 'IN_PROGRESS') {
    await ctx.audit(completion.decision, fields);
    await completion.beforeFinish?.();
    const closed = await ctx.deps.ledger.reconcile(item, completion.finish, ctx.now());
    return closed ? completion.result : { outcome: 'duplicate' };
  }
  // RETRY: a passing error after the write had landed gave the claim back. Take it again, as any
  // attempt would, and close it with what S3 shows.
  const owner = ctx.newOwner();
  const claim = await ctx.deps.ledger.claim(
    {
      ...ctx.ref,
      runId: item.runId,
      jobId: item.jobId,
      owner,
      leaseSeconds: ctx.deps.config.leaseSeconds,
      sourceEtag: item.sourceEtag,
      sourceVersionId: item.sourceVersionId,
      mode: item.mode,
      method: item.method ?? 'copy-in-place',
      envelopeIv: item.envelopeIv,
    },
    ctx.now(),
  );
  if (!claim.claimed) return { outcome: 'duplicate' };
  return ctx.close(owner, { ...completion, finish: { ...completion.finish, reconciled: true } }, fields, {});
}
