import { classifyAwsError, isNotFound, isPreconditionFailed } from '../aws-errors.js';
import { describeError, InjectedCrashError, LeaseHeldError, PermanentError } from '../errors.js';
import { protectionBefore } from '../protection-state.js';
import type { JobContext } from './job-context.js';
import type { JobResult } from './job-result.js';
import type { ClaimedWrite, Completion } from './object-operation.js';

/** Claim → write → audit → finish, with one rule for each way the write can end. */
export async function runClaimedWrite<W>(ctx: JobContext<W>, plan: ClaimedWrite<W>): Promise<JobResult> {
  const { head } = plan;
  // Nothing is claimed for work the invocation cannot finish: the record comes back untouched.
  ctx.deps.deadline?.assertCanFinish(plan.estimateMs, `${ctx.ref.operation} of ${head.key}`);
  const owner = ctx.newOwner();
  const { job } = ctx.op;
  const claimInput = {
    ...ctx.ref,
    runId: job.runId,
    jobId: job.jobId,
    owner,
    leaseSeconds: ctx.deps.config.leaseSeconds,
    sourceEtag: head.etag,
    sourceVersionId: head.versionId,
    mode: job.mode,
    method: plan.method,
    envelopeIv: plan.envelopeIv,
  };
  let claim = await ctx.deps.ledger.claim(claimInput, ctx.now());
  // A claim whose owner is proven dead is taken over now: the HEAD above is what S3 shows after
  // that owner, and the write below is conditional on its ETag, as after an expired lease.
  if (!claim.claimed && (await ctx.releaseIfOwnerGone(claim.existing))) {
    claim = await ctx.deps.ledger.claim(claimInput, ctx.now());
  }
  if (!claim.claimed) {
    const held = claim.existing;
    const leaseMs = (held?.leaseExpiresAt ?? 0) - ctx.now().getTime();
    if (held?.state === 'IN_PROGRESS' && leaseMs > 0) {
      // Acknowledging would lose the job if that attempt has crashed: come back after its lease.
      const seconds = Math.ceil(leaseMs / 1000);
      throw new LeaseHeldError(`in progress elsewhere (lease ${seconds}s)`, seconds, ctx.ref);
    }
    return { outcome: 'duplicate', detail: `ledger: ${held?.state ?? 'taken'}` };
  }
  ctx.faults.check('after-claim');

  const before = {
    etagBefore: head.etag,
    versionIdBefore: head.versionId,
    ...protectionBefore(head),
    method: plan.method,
    ...plan.audit,
  };
  // A first claim for this object: its audit chain is almost surely new (skip reading the anchor).
  const hints = { likelyNewChain: claim.firstClaim === true };
  const close = (completion: Completion) => ctx.close(owner, completion, before, hints);

  let written: W;
  try {
    written = await plan.write({ owner });
  } catch (error) {
    if (error instanceof InjectedCrashError) throw error;
    if (isPreconditionFailed(error)) {
      // A user wrote the key after our HEAD: their bytes win. Their own event decides what next.
      const reason = 'object changed during processing';
      return close({
        decision: 'superseded',
        finish: { state: 'SUPERSEDED', reason },
        audit: { reason },
        result: { outcome: 'superseded', reason: 'object-changed' },
      });
    }
    if (isNotFound(error)) {
      return close({
        decision: 'skipped',
        finish: { state: 'SKIPPED', reason: 'missing' },
        audit: { reason: 'deleted during processing' },
        result: { outcome: 'skipped', reason: 'missing' },
      });
    }
    const classified = classifyAwsError(error, `${plan.method} failed`, ctx.ref);
    if (classified instanceof PermanentError) {
      const message = describeError(classified);
      return close({
        decision: 'failed',
        finish: { state: 'FAILED', error: message },
        audit: { error: message },
        result: { outcome: 'failed', reason: classified.name, detail: message },
      });
    }
    // Given back, so a redelivery claims it at once; a write that did land is reconciled then.
    await ctx.deps.ledger.release(ctx.ref, owner, describeError(classified), ctx.now());
    throw classified;
  }
  ctx.faults.check('after-s3-write');
  const completion = await plan.complete(written);
  ctx.faults.check('before-ledger-finish');
  return close(completion);
}
