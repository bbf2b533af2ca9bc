import type { AuditDecision, AuditRecord } from '../audit/audit-record.js';
import { classifyAwsError, isNotFound, isPreconditionFailed } from '../aws-errors.js';
import { describeError, InjectedCrashError, PermanentError } from '../errors.js';
import { Faults } from '../faults.js';
import { protectionBefore } from '../protection-state.js';
import type { ObjectHead } from '../s3/object-head.js';
import type { JobResult } from './job-result.js';
import type {
  AttemptView,
  Completion,
  Decision,
  ObjectDeps,
  ObjectOperation,
  ObjectWrite,
} from './object-operation.js';

/**
 * One object's decision inside a chunk attempt: its record (for the chunk log) and result. No
 * `record`: the object went elsewhere (handed off) and this chunk records nothing for it.
 */
export interface ObjectOutcome {
  record?: AuditRecord;
  result: JobResult;
}

const OUTCOME_OF = { COMPLIANT: 'compliant', SKIPPED: 'skipped', FAILED: 'failed' } as const;

/**
 * Read (HEAD, or envelope mode's GET) → decide → conditional write → record (docs/architecture.md,
 * "Chunks"). Writes nothing to DynamoDB: the chunk commit records every object at once. Throws only
 * what a retry of the whole chunk can fix (a passing error, the deadline) and injected crashes;
 * everything permanent is this object's own FAILED record, never its chunk's. Whatever the read
 * holds open that the write did not take is released however the object ends.
 */
export async function decideObject<W>(
  op: ObjectOperation<W>,
  deps: ObjectDeps,
  attempt: AttemptView,
): Promise<ObjectOutcome> {
  try {
    return await readAndDecide(op, deps, attempt);
  } finally {
    op.release?.();
  }
}

async function readAndDecide<W>(
  op: ObjectOperation<W>,
  deps: ObjectDeps,
  attempt: AttemptView,
): Promise<ObjectOutcome> {
  const record = recorder(op, deps);
  const failed = (error: unknown, what: string): ObjectOutcome => {
    const classified = classifyAwsError(error, what, op.job);
    if (!(classified instanceof PermanentError)) throw classified;
    const message = describeError(classified);
    return {
      record: record('failed', { error: message, reason: classified.name }),
      result: { outcome: 'failed', reason: classified.name, detail: message },
    };
  };
  let head: ObjectHead | undefined;
  try {
    head = await op.read();
  } catch (error) {
    if (error instanceof InjectedCrashError) throw error;
    return failed(error, 'HEAD failed');
  }
  if (!head) {
    return {
      record: record('skipped', { reason: 'missing' }),
      result: { outcome: 'skipped', reason: 'missing' },
    };
  }
  let plan: Awaited<ReturnType<ObjectOperation<W>['decide']>>;
  try {
    plan = await op.decide(head, attempt);
  } catch (error) {
    if (error instanceof InjectedCrashError) throw error;
    return failed(error, 'deciding failed');
  }
  switch (plan.action) {
    case 'decide':
      return settle(op, plan, head, attempt, record);
    case 'write':
      return write(op, plan, deps, record);
    case 'handed-off':
      return { result: plan.result };
  }
}

type Recorder = (decision: AuditDecision, fields: Partial<AuditRecord>) => AuditRecord;

function recorder<W>(op: ObjectOperation<W>, deps: ObjectDeps): Recorder {
  const now = deps.now ?? (() => new Date());
  const { job } = op;
  return (decision, fields) => ({
    decision,
    runId: job.runId,
    jobId: job.jobId,
    actor: deps.config.actor,
    bucket: job.bucket,
    key: job.key,
    mode: job.mode,
    at: now().toISOString(),
    ...fields,
  });
}

/** A decision without a write; found as the job wants it after a crash: maybe our own write. */
function settle<W>(
  op: ObjectOperation<W>,
  plan: Decision,
  head: ObjectHead,
  attempt: AttemptView,
  record: Recorder,
): ObjectOutcome {
  if (plan.state === 'COMPLIANT' && attempt.recovering && op.landed(head, attempt)) {
    const completion = op.reconciled(head);
    return {
      record: record(completion.decision, { ...completion.audit, reconciled: true }),
      result: completion.result,
    };
  }
  const outcome = OUTCOME_OF[plan.state];
  const fields = {
    reason: plan.reason,
    error: plan.error,
    etagBefore: head.etag,
    versionIdBefore: head.versionId,
    ...protectionBefore(head),
    ...(head.lastModified ? { lastModified: head.lastModified.toISOString() } : {}),
    ...plan.audit,
  };
  return { record: record(outcome, fields), result: { outcome, reason: plan.reason, detail: plan.error } };
}

/** The conditional write, with one rule for each way it can end. */
async function write<W>(
  op: ObjectOperation<W>,
  plan: ObjectWrite<W>,
  deps: ObjectDeps,
  record: Recorder,
): Promise<ObjectOutcome> {
  const { head } = plan;
  // Nothing is started that the invocation cannot finish: the chunk comes back to a fresh one.
  deps.deadline?.assertCanFinish(plan.estimateMs, `${plan.method} of ${head.key}`);
  const before = {
    etagBefore: head.etag,
    versionIdBefore: head.versionId,
    ...protectionBefore(head),
    method: plan.method,
    ...plan.audit,
  };
  const closed = (completion: Completion): ObjectOutcome => ({
    record: record(completion.decision, { ...before, ...completion.audit }),
    result: completion.result,
  });
  let written: W;
  try {
    written = await plan.write();
  } catch (error) {
    if (error instanceof InjectedCrashError) throw error;
    if (isPreconditionFailed(error)) {
      // A user wrote the key after our HEAD: their bytes win. Their own event decides what next.
      const reason = 'object changed during processing';
      return closed({
        decision: 'superseded',
        audit: { reason },
        result: { outcome: 'superseded', reason: 'object-changed' },
      });
    }
    if (isNotFound(error)) {
      return closed({
        decision: 'skipped',
        audit: { reason: 'deleted during processing' },
        result: { outcome: 'skipped', reason: 'missing' },
      });
    }
    const classified = classifyAwsError(error, `${plan.method} failed`, op.job);
    if (!(classified instanceof PermanentError)) throw classified;
    const message = describeError(classified);
    return closed({
      decision: 'failed',
      audit: { error: message, reason: classified.name },
      result: { outcome: 'failed', reason: classified.name, detail: message },
    });
  }
  (deps.faults ?? Faults.none()).check('after-s3-write');
  return closed(await plan.complete(written));
}
