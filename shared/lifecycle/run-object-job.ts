import { randomBytes } from 'node:crypto';
import type { AppendHints, AuditDecision, AuditRecord } from '../audit/audit-log.js';
import { classifyAwsError, isNotFound, isPreconditionFailed } from '../aws-errors.js';
import { describeError, InjectedCrashError, LeaseHeldError, PermanentError } from '../errors.js';
import { Faults } from '../faults.js';
import { recordJobDuration } from '../job-timings.js';
import type { LedgerItem } from '../ledger/ledger.js';
import type { ObjectHead } from '../s3/object-head.js';
import type { JobResult } from './job-result.js';
import type {
  ClaimedWrite,
  Completion,
  Decision,
  LifecycleDeps,
  ObjectOperation,
} from './object-operation.js';

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
    return await new JobLifecycle(op, deps).run();
  } finally {
    recordJobDuration(performance.now() - started);
  }
}

const OUTCOME_OF = { COMPLIANT: 'compliant', SKIPPED: 'skipped', FAILED: 'failed' } as const;

class JobLifecycle<W> {
  private readonly now: () => Date;
  private readonly faults: Faults;
  private readonly ref;

  constructor(
    private readonly op: ObjectOperation<W>,
    private readonly deps: LifecycleDeps,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.faults = deps.faults ?? Faults.none();
    const { bucket, key, operation } = op.job;
    this.ref = { bucket, key, operation };
  }

  async run(): Promise<JobResult> {
    const head = await this.op.read().catch((error) => {
      throw classifyAwsError(error, 'HEAD failed', this.ref);
    });
    if (!head) return this.decided({ action: 'decide', state: 'SKIPPED', reason: 'missing' });
    const item = this.op.readsItemFirst ? await this.deps.ledger.get(this.ref) : undefined;
    if (item && this.finishedByThisJob(item, head)) return { outcome: 'duplicate', detail: 'already done' };
    const plan = await this.op.decide(head, item);
    switch (plan.action) {
      case 'decide':
        return this.decided(this.op.readsItemFirst ? { existing: { item }, ...plan } : plan);
      case 'write':
        return this.claimedWrite(plan);
      case 'duplicate':
        return { outcome: 'duplicate', reason: plan.reason, detail: plan.detail };
      case 'handed-off':
        return plan.result;
    }
  }

  /** A decision without a claim: recorded once per run and ETag, then audited. */
  private async decided(plan: Decision): Promise<JobResult> {
    const { state, reason, head } = plan;
    const outcome = OUTCOME_OF[state];
    // Found as the job wants it: if this job's own attempt wrote it and died before the ledger
    // heard (its lease may have expired since), close that attempt with what happened.
    let likelyNewChain = false;
    if (state === 'COMPLIANT' && head) {
      const item = plan.existing ? plan.existing.item : await this.deps.ledger.get(this.ref);
      if (item && this.unfinishedOfThisRun(item) && this.op.landed(item, head)) {
        return this.reconcile(item, head);
      }
      // With no ledger item at all nothing was ever decided here: the audit chain is likely new.
      likelyNewChain = item === undefined;
    }
    await plan.before?.();
    const { job } = this.op;
    const record = () =>
      this.deps.ledger.recordDecision(
        {
          ...this.ref,
          state,
          runId: job.runId,
          jobId: job.jobId,
          mode: job.mode,
          currentEtag: head?.etag,
          reason,
        },
        this.now(),
      );
    let recorded = await record();
    let existing = recorded ? undefined : await this.deps.ledger.get(this.ref);
    if (!recorded && (await this.releaseIfOwnerGone(existing))) {
      recorded = await record();
      existing = recorded ? undefined : await this.deps.ledger.get(this.ref);
    }
    const fields = {
      reason,
      error: plan.error,
      etagBefore: head?.etag,
      versionIdBefore: head?.versionId,
      ...plan.audit,
    };
    if (!recorded) {
      // Another delivery holds or already finished this job. If it was this very decision, its
      // audit append may have died with that delivery: append it (a no-op if it is there).
      if (existing?.runId === job.runId && existing.jobId === job.jobId && existing.state === state) {
        await this.audit(outcome, fields);
      }
      return { outcome: 'duplicate', reason };
    }
    await this.audit(outcome, fields, { likelyNewChain });
    return { outcome, reason, detail: plan.error };
  }

  /** Claim → write → audit → finish, with one rule for each way the write can end. */
  private async claimedWrite(plan: ClaimedWrite<W>): Promise<JobResult> {
    const { head } = plan;
    // Nothing is claimed for work the invocation cannot finish: the record comes back untouched.
    this.deps.deadline?.assertCanFinish(plan.estimateMs, `${this.ref.operation} of ${head.key}`);
    const owner = this.newOwner();
    const { job } = this.op;
    const claimInput = {
      ...this.ref,
      runId: job.runId,
      jobId: job.jobId,
      owner,
      leaseSeconds: this.deps.config.leaseSeconds,
      sourceEtag: head.etag,
      sourceVersionId: head.versionId,
      mode: job.mode,
      method: plan.method,
      envelopeIv: plan.envelopeIv,
    };
    let claim = await this.deps.ledger.claim(claimInput, this.now());
    // A claim whose owner is proven dead is taken over now: the HEAD above is what S3 shows after
    // that owner, and the write below is conditional on its ETag, as after an expired lease.
    if (!claim.claimed && (await this.releaseIfOwnerGone(claim.existing))) {
      claim = await this.deps.ledger.claim(claimInput, this.now());
    }
    if (!claim.claimed) {
      const held = claim.existing;
      const leaseMs = (held?.leaseExpiresAt ?? 0) - this.now().getTime();
      if (held?.state === 'IN_PROGRESS' && leaseMs > 0) {
        // Acknowledging would lose the job if that attempt has crashed: come back after its lease.
        const seconds = Math.ceil(leaseMs / 1000);
        throw new LeaseHeldError(`in progress elsewhere (lease ${seconds}s)`, seconds, this.ref);
      }
      return { outcome: 'duplicate', detail: `ledger: ${held?.state ?? 'taken'}` };
    }
    this.faults.check('after-claim');

    const before = {
      etagBefore: head.etag,
      versionIdBefore: head.versionId,
      method: plan.method,
      ...plan.audit,
    };
    // A first claim for this object: its audit chain is almost surely new (skip reading the anchor).
    const hints = { likelyNewChain: claim.firstClaim === true };
    const close = (completion: Completion) => this.close(owner, completion, before, hints);

    let written: W;
    try {
      written = await plan.write();
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
      const classified = classifyAwsError(error, `${plan.method} failed`, this.ref);
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
      await this.deps.ledger.release(this.ref, owner, describeError(classified), this.now());
      throw classified;
    }
    this.faults.check('after-s3-write');
    const completion = await plan.complete(written);
    this.faults.check('before-ledger-finish');
    return close(completion);
  }

  /** The audit record lands before the finish: a crash between them is reconciled, never lost. */
  private async close(
    owner: string,
    completion: Completion,
    before: Partial<AuditRecord>,
    hints: AppendHints,
  ): Promise<JobResult> {
    await this.audit(completion.decision, { ...before, ...completion.audit }, hints);
    await completion.beforeFinish?.();
    const finished = await this.deps.ledger.finish(this.ref, owner, completion.finish, this.now());
    // Refused only when a slow attempt's claim was taken over: the attempt that took over counts it.
    return finished ? completion.result : { outcome: 'duplicate', detail: 'claim taken over' };
  }

  /** Closes this run's unfinished claim whose write S3 shows landed, without writing again. */
  private async reconcile(item: LedgerItem, head: ObjectHead): Promise<JobResult> {
    const completion = this.op.reconciled(item, head);
    const fields = {
      etagBefore: item.sourceEtag,
      versionIdBefore: item.sourceVersionId,
      method: item.method,
      ...completion.audit,
      reconciled: true,
    };
    if (item.state === 'IN_PROGRESS') {
      await this.audit(completion.decision, fields);
      await completion.beforeFinish?.();
      const closed = await this.deps.ledger.reconcile(item, completion.finish, this.now());
      return closed ? completion.result : { outcome: 'duplicate' };
    }
    // RETRY: a passing error after the write had landed gave the claim back. Take it again, as any
    // attempt would, and close it with what S3 shows.
    const owner = this.newOwner();
    const claim = await this.deps.ledger.claim(
      {
        ...this.ref,
        runId: item.runId,
        jobId: item.jobId,
        owner,
        leaseSeconds: this.deps.config.leaseSeconds,
        sourceEtag: item.sourceEtag,
        sourceVersionId: item.sourceVersionId,
        mode: item.mode,
        method: item.method ?? 'copy-in-place',
        envelopeIv: item.envelopeIv,
      },
      this.now(),
    );
    if (!claim.claimed) return { outcome: 'duplicate' };
    return this.close(
      owner,
      { ...completion, finish: { ...completion.finish, reconciled: true } },
      fields,
      {},
    );
  }

  /** Claimed by this run and never finished (in progress, or given back after a passing error). */
  private unfinishedOfThisRun(item: LedgerItem): boolean {
    return (item.state === 'IN_PROGRESS' || item.state === 'RETRY') && item.runId === this.op.job.runId;
  }

  /** This very job already finished on these bytes, its own write's included. */
  private finishedByThisJob(item: LedgerItem, head: ObjectHead): boolean {
    const { runId, jobId } = this.op.job;
    const terminal = item.state !== 'IN_PROGRESS' && item.state !== 'RETRY';
    return terminal && item.runId === runId && item.jobId === jobId && item.resultEtag === head.etag;
  }

  /** Gives back a claim held by a local process proven dead (see LocalClaims); true if it did. */
  private async releaseIfOwnerGone(held: LedgerItem | undefined): Promise<boolean> {
    if (held?.state !== 'IN_PROGRESS' || !this.deps.local?.ownerGone(held.owner)) return false;
    return this.deps.ledger.release(this.ref, held.owner ?? '', 'owner process gone', this.now());
  }

  private newOwner(): string {
    const { owner, local, config } = this.deps;
    return owner ?? local?.newOwner() ?? `${config.actor}:${randomBytes(6).toString('hex')}`;
  }

  private audit(decision: AuditDecision, fields: Partial<AuditRecord>, hints?: AppendHints) {
    const { job } = this.op;
    return this.deps.audit.append(
      {
        decision,
        runId: job.runId,
        jobId: job.jobId,
        actor: this.deps.config.actor,
        bucket: job.bucket,
        key: job.key,
        mode: job.mode,
        at: this.now().toISOString(),
        ...fields,
      },
      hints,
    );
  }
}
