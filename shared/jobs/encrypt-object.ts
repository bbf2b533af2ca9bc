import { randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AppendHints, AuditDecision, AuditLog, AuditRecord } from '../audit/audit-log.js';
import { classifyAwsError, isNotFound, isPreconditionFailed } from '../aws-errors.js';
import { decideCompliance, INSTRUCTION_FILE_SUFFIX, type ProtectMethod } from '../compliance.js';
import type { Config } from '../config.js';
import { META } from '../envelope/format.js';
import { describeError, InjectedCrashError, LeaseHeldError, PermanentError } from '../errors.js';
import { Faults } from '../faults.js';
import { recordJobDuration } from '../job-timings.js';
import type { FinishInput, Ledger, LedgerItem, ObjectRef } from '../ledger/ledger.js';
import type { ProtectionPolicy } from '../policy.js';
import type { Outcome } from '../runs/run-store.js';
import { headObject, type ObjectHead } from '../s3/object-head.js';
import type { LocalClaims } from '../worker/local-claims.js';
import type { EncryptJob } from './messages.js';
import { protectObject } from './protect-object.js';

export interface EncryptDeps {
  s3: S3Client;
  kms: KMSClient;
  ledger: Ledger;
  audit: AuditLog;
  config: Pick<
    Config,
    | 'leaseSeconds'
    | 'multipartThresholdBytes'
    | 'copyMultipartThresholdBytes'
    | 'copyPartSizeBytes'
    | 'useUpdateObjectEncryption'
    | 'actor'
  >;
  /** Identifies this attempt in the ledger's claim (defaults to actor + a random suffix). */
  owner?: string;
  /**
   * In a local process: claims name the process and are tracked, so an interrupt can release them,
   * and a claim held by a local process proven dead is taken over instead of waited out.
   */
  local?: LocalClaims;
  faults?: Faults;
  now?: () => Date;
}

/** What happened to one job. `duplicate`: another delivery owns or already counted it. */
export interface JobResult {
  outcome: Outcome | 'duplicate';
  reason?: string;
  detail?: string;
}

/**
 * Brings one object under its run's protection (DESIGN.md, "Flow" and "Never lose data"):
 * HEAD, decide, claim in the ledger, protect with a write conditional on the ETag read, audit,
 * finish. Safe to run any number of times for the same job, concurrently or after a crash.
 *
 * Throws only for what a retry can fix (and for injected crashes); every permanent outcome is
 * recorded in the ledger and the audit trail and returned.
 */
export async function encryptObject(job: EncryptJob, deps: EncryptDeps): Promise<JobResult> {
  const started = performance.now();
  try {
    return await encryptObjectOnce(job, deps);
  } finally {
    recordJobDuration(performance.now() - started);
  }
}

async function encryptObjectOnce(job: EncryptJob, deps: EncryptDeps): Promise<JobResult> {
  const now = deps.now ?? (() => new Date());
  const faults = deps.faults ?? Faults.none();
  const policy: ProtectionPolicy = { mode: job.mode, keyArn: job.keyArn };
  const ref: ObjectRef = { bucket: job.bucket, key: job.key, operation: 'encrypt' };
  const audit = (decision: AuditDecision, fields: Partial<AuditRecord>, hints?: AppendHints) =>
    deps.audit.append(
      {
        decision,
        runId: job.runId,
        jobId: job.jobId,
        actor: deps.config.actor,
        bucket: job.bucket,
        key: job.key,
        mode: job.mode,
        at: now().toISOString(),
        ...fields,
      },
      hints,
    );
  const decided = async (
    state: 'COMPLIANT' | 'SKIPPED',
    reason: string,
    head: ObjectHead | undefined,
  ): Promise<JobResult> => {
    const outcome = state === 'COMPLIANT' ? 'compliant' : 'skipped';
    // Compliant because an attempt of this job wrote it and died before the ledger heard (its
    // lease may have expired since): close that attempt as encrypted, which is what happened.
    // With no ledger item at all, nothing was ever decided here: the audit chain is likely new.
    let likelyNewChain = false;
    if (state === 'COMPLIANT' && head) {
      const existing = await deps.ledger.get(ref);
      const reconciled = existing && (await reconcileIfOurs(existing, head));
      if (reconciled) return reconciled;
      likelyNewChain = existing === undefined;
    }
    const record = () =>
      deps.ledger.recordDecision(
        {
          ...ref,
          state,
          runId: job.runId,
          jobId: job.jobId,
          mode: job.mode,
          currentEtag: head?.etag,
          reason,
        },
        now(),
      );
    let recorded = await record();
    let existing = recorded ? undefined : await deps.ledger.get(ref);
    if (!recorded && (await releaseIfOwnerGone(existing))) {
      recorded = await record();
      existing = recorded ? undefined : await deps.ledger.get(ref);
    }
    if (!recorded) {
      // Another delivery holds or already finished this job. If it was this very decision, its
      // audit append may have died with that delivery: append it (a no-op if it is there).
      if (existing?.runId === job.runId && existing.jobId === job.jobId && existing.state === state) {
        await audit(outcome, {
          reason,
          etagBefore: head?.etag,
          versionIdBefore: head?.versionId,
          keyArn: head?.kmsKeyArn,
        });
      }
      return { outcome: 'duplicate', reason };
    }
    await audit(
      outcome,
      {
        reason,
        etagBefore: head?.etag,
        versionIdBefore: head?.versionId,
        keyArn: head?.kmsKeyArn,
      },
      { likelyNewChain },
    );
    return { outcome, reason };
  };

  const head = await headObject(deps.s3, job.bucket, job.key).catch((error) => {
    throw classifyAwsError(error, 'HEAD failed', ref);
  });
  if (!head) return decided('SKIPPED', 'missing', undefined);

  const decision = decideCompliance(head, policy, deps.config);
  if (decision.action === 'skip') return decided('SKIPPED', decision.reason, head);
  if (decision.action === 'compliant') return decided('COMPLIANT', decision.detail, head);

  if (decision.method === 'envelope' && (await hasInstructionFile(head))) {
    return decided('SKIPPED', 'has-instruction-file', head);
  }

  // The IV is chosen before the claim and stored with it: after a crash, finding this IV on the
  // object proves the write was ours and landed, so the retry closes the job without writing again.
  const iv = decision.method === 'envelope' ? randomBytes(12) : undefined;
  const owner =
    deps.owner ?? deps.local?.newOwner() ?? `${deps.config.actor}:${randomBytes(6).toString('hex')}`;
  const claimInput = {
    ...ref,
    runId: job.runId,
    jobId: job.jobId,
    owner,
    leaseSeconds: deps.config.leaseSeconds,
    sourceEtag: head.etag,
    sourceVersionId: head.versionId,
    mode: job.mode,
    method: decision.method,
    envelopeIv: iv?.toString('base64'),
  };
  let claim = await deps.ledger.claim(claimInput, now());
  // A claim whose owner is proven dead is taken over now: the HEAD above is what S3 shows after
  // that owner, and the write below is conditional on its ETag, as after an expired lease.
  if (!claim.claimed && (await releaseIfOwnerGone(claim.existing))) {
    claim = await deps.ledger.claim(claimInput, now());
  }
  if (!claim.claimed) {
    const held = claim.existing;
    if (held?.state === 'IN_PROGRESS' && (held.leaseExpiresAt ?? 0) > now().getTime()) {
      // Acknowledging would lose the job if that attempt has crashed: come back after its lease.
      const seconds = Math.ceil(((held.leaseExpiresAt ?? 0) - now().getTime()) / 1000);
      throw new LeaseHeldError(`in progress elsewhere (lease ${seconds}s)`, seconds, ref);
    }
    return { outcome: 'duplicate', detail: `ledger: ${held?.state ?? 'taken'}` };
  }
  faults.check('after-claim');

  const before = { etagBefore: head.etag, versionIdBefore: head.versionId, method: decision.method };
  // A first claim for this object: its audit chain is almost surely new (skip reading the anchor).
  const hints = { likelyNewChain: claim.firstClaim === true };
  const finish = async (decisionName: AuditDecision, outcome: FinishInput, fields: Partial<AuditRecord>) => {
    await audit(decisionName, { ...before, ...fields }, hints);
    return deps.ledger.finish(ref, owner, outcome, now());
  };

  let written: Awaited<ReturnType<typeof protectObject>>;
  try {
    written = await protectObject(deps, head, policy, decision.method, iv, () =>
      faults.check('after-data-key'),
    );
  } catch (error) {
    if (error instanceof InjectedCrashError) throw error;
    if (isPreconditionFailed(error)) {
      // A user wrote the key after our HEAD: their bytes win. Their own event decides what next.
      await finish(
        'superseded',
        { state: 'SUPERSEDED', reason: 'object changed during processing' },
        {
          reason: 'object changed during processing',
        },
      );
      return { outcome: 'superseded', reason: 'object-changed' };
    }
    if (isNotFound(error)) {
      await finish(
        'skipped',
        { state: 'SKIPPED', reason: 'missing' },
        { reason: 'deleted during processing' },
      );
      return { outcome: 'skipped', reason: 'missing' };
    }
    const classified = classifyAwsError(error, `${decision.method} failed`, ref);
    if (classified instanceof PermanentError) {
      const message = describeError(classified);
      await finish('failed', { state: 'FAILED', error: message }, { error: message });
      return { outcome: 'failed', reason: classified.name, detail: message };
    }
    await deps.ledger.release(ref, owner, describeError(classified), now());
    throw classified;
  }

  faults.check('after-s3-write');
  const wrappedAt = now().toISOString();
  const keyArn = written.keyArn ?? policy.keyArn;
  faults.check('before-ledger-finish');
  const finished = await finish(
    'encrypted',
    { state: 'DONE', resultEtag: written.etag, resultVersionId: written.versionId, keyArn, wrappedAt },
    {
      etagAfter: written.etag,
      versionIdAfter: written.versionId,
      keyArn,
      kmsRequestIds: written.kmsRequestIds,
    },
  );
  // Finish fails only when a slow attempt's lease was taken over: the object is protected by this
  // write all the same, and the attempt that took over reconciles and counts it.
  return finished ? { outcome: 'encrypted' } : { outcome: 'duplicate', detail: 'claim taken over' };

  /** Closes a crashed attempt's claim whose write S3 already shows, without writing again. */
  async function reconcileIfOurs(existing: LedgerItem, current: ObjectHead): Promise<JobResult | undefined> {
    if (existing.state !== 'IN_PROGRESS' || existing.runId !== job.runId || !writtenByUs(existing, current)) {
      return undefined;
    }
    const keyArn = policy.keyArn;
    await audit('encrypted', {
      etagBefore: existing.sourceEtag,
      etagAfter: current.etag,
      versionIdAfter: current.versionId,
      method: existing.method,
      keyArn,
      reconciled: true,
    });
    const closed = await deps.ledger.reconcile(
      existing,
      {
        state: 'DONE',
        resultEtag: current.etag,
        resultVersionId: current.versionId,
        keyArn,
        wrappedAt: existing.updatedAt,
      },
      now(),
    );
    return closed ? { outcome: 'encrypted', detail: 'reconciled after a crash' } : { outcome: 'duplicate' };
  }

  /** Gives back a claim held by a local process proven dead (see LocalClaims); true if it did. */
  async function releaseIfOwnerGone(held: LedgerItem | undefined): Promise<boolean> {
    if (held?.state !== 'IN_PROGRESS' || !deps.local?.ownerGone(held.owner)) return false;
    return deps.ledger.release(ref, held.owner ?? '', 'owner process gone', now());
  }

  async function hasInstructionFile(current: ObjectHead): Promise<boolean> {
    const sibling = await headObject(deps.s3, current.bucket, `${current.key}${INSTRUCTION_FILE_SUFFIX}`);
    return sibling !== undefined;
  }
}

/** Whether an object S3 shows compliant carries the write an IN_PROGRESS ledger item intended. */
function writtenByUs(item: LedgerItem, head: ObjectHead): boolean {
  const method: ProtectMethod | undefined = item.method;
  if (method === 'envelope')
    return item.envelopeIv !== undefined && head.metadata[META.iv] === item.envelopeIv;
  // A server-side rewrite leaves no marker (and may keep the ETag: S3 computes an MD5 ETag for
  // SSE-S3 copies), but the caller has just seen the object compliant, which is what this job was
  // for, so closing the job is safe whoever wrote it.
  return method !== undefined;
}
