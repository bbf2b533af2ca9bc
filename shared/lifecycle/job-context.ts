import { randomBytes } from 'node:crypto';
import type { AppendHints, AuditDecision, AuditRecord } from '../audit/audit-log.js';
import { Faults } from '../faults.js';
import type { LedgerItem, ObjectRef } from '../ledger/ledger.js';
import type { JobResult } from './job-result.js';
import type { Completion, LifecycleDeps, ObjectOperation } from './object-operation.js';

/** One job's run through the lifecycle: its operation, dependencies and the steps they share. */
export class JobContext<W> {
  readonly now: () => Date;
  readonly faults: Faults;
  readonly ref: ObjectRef;

  constructor(
    readonly op: ObjectOperation<W>,
    readonly deps: LifecycleDeps,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.faults = deps.faults ?? Faults.none();
    const { bucket, key, operation } = op.job;
    this.ref = { bucket, key, operation };
  }

  /** The audit record lands before the finish: a crash between them is reconciled, never lost. */
  async close(
    owner: string,
    completion: Completion,
    before: Partial<AuditRecord>,
    hints: AppendHints,
  ): Promise<JobResult> {
    // The run counts the job's reason as its result names it (the audit record may say it longer).
    const appendHints = { ...hints, countReason: completion.result.reason };
    const record = this.record(completion.decision, { ...before, ...completion.audit });
    // With the jobs in flight beside it, in one transaction (docs/architecture.md, "Batch-first
    // storage"); a step before the finish (beforeFinish) needs the steps one by one unless the
    // transaction can write it too (a re-wrap's wrapMove).
    const { jobCloser, local } = this.deps;
    if (jobCloser && (!completion.beforeFinish || completion.wrapMove)) {
      const request = {
        record,
        hints: appendHints,
        ref: this.ref,
        ledger: { owner, finish: completion.finish },
        wrapMove: completion.wrapMove,
        now: this.now(),
      };
      if ((await jobCloser.close(request)) === 'closed') {
        local?.remove(this.ref, owner);
        return completion.result;
      }
    }
    await this.deps.audit.append(record, appendHints);
    await completion.beforeFinish?.();
    const finished = await this.deps.ledger.finish(this.ref, owner, completion.finish, this.now());
    // Refused only when a slow attempt's claim was taken over: the attempt that took over counts it.
    return finished ? completion.result : { outcome: 'duplicate', detail: 'claim taken over' };
  }

  /** Claimed by this run and never finished (in progress, or given back after a passing error). */
  unfinishedOfThisRun(item: LedgerItem): boolean {
    return (item.state === 'IN_PROGRESS' || item.state === 'RETRY') && item.runId === this.op.job.runId;
  }

  /** Gives back a claim held by a local process proven dead (see LocalClaims); true if it did. */
  async releaseIfOwnerGone(held: LedgerItem | undefined): Promise<boolean> {
    if (held?.state !== 'IN_PROGRESS' || !this.deps.local?.ownerGone(held.owner)) return false;
    return this.deps.ledger.release(this.ref, held.owner ?? '', 'owner process gone', this.now());
  }

  newOwner(): string {
    const { owner, local, config } = this.deps;
    return owner ?? local?.newOwner() ?? `${config.actor}:${randomBytes(6).toString('hex')}`;
  }

  audit(decision: AuditDecision, fields: Partial<AuditRecord>, hints?: AppendHints) {
    return this.deps.audit.append(this.record(decision, fields), hints);
  }

  /** This job's audit record of `decision`, stamped now. */
  record(decision: AuditDecision, fields: Partial<AuditRecord>): AuditRecord {
    const { job } = this.op;
    return {
      decision,
      runId: job.runId,
      jobId: job.jobId,
      actor: this.deps.config.actor,
      bucket: job.bucket,
      key: job.key,
      mode: job.mode,
      at: this.now().toISOString(),
      ...fields,
    };
  }
}
