import { randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AppendHints, AuditDecision, AuditLog, AuditRecord } from '../audit/audit-log.js';
import { classifyAwsError, isNotFound, isPreconditionFailed } from '../aws-errors.js';
import { decideCompliance, INSTRUCTION_FILE_SUFFIX, type ProtectMethod } from '../compliance.js';
import type { Config } from '../config.js';
import { IV_LENGTH_BYTES, MESSAGE_ID_LENGTH_BYTES, META, META_V3 } from '../envelope/format.js';
import { describeError, InjectedCrashError, LeaseHeldError, PermanentError } from '../errors.js';
import { Faults } from '../faults.js';
import { recordJobDuration } from '../job-timings.js';
import type { FinishInput, Ledger, LedgerItem, ObjectRef } from '../ledger/ledger.js';
import type { ProtectionPolicy } from '../policy.js';
import type { Outcome } from '../runs/run-store.js';
import type { AclInspector, ExtraGrants } from '../s3/object-acl.js';
import { headObject, type ObjectHead } from '../s3/object-head.js';
import type { SseCustomerKey } from '../s3/sse-c-key.js';
import type { LocalClaims } from '../worker/local-claims.js';
import { settleAcl } from './carry-acl.js';
import { verifyEnvelopeKey } from './envelope-key.js';
import { type LargeObjectDeps, routeLargeObject } from './large-object-route.js';
import type { EncryptJob } from './messages.js';
import { protectObject } from './protect-object.js';
import { migrationKeyFor, sseCustomerKeyProblem } from './sse-c-job.js';
import { encryptUploadTracker } from './upload-tracker.js';

export interface EncryptDeps extends LargeObjectDeps {
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
  /** Reads ACL grants a rewrite would drop (absent: ACLs are not looked at). */
  acl?: AclInspector;
  /**
   * The customer key this worker migrates SSE-C objects with, used only for jobs whose run names
   * its fingerprint (README, "SSE-C objects"). Never logged, never in a message.
   */
  sseCustomerKey?: SseCustomerKey;
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
  const policy: ProtectionPolicy = {
    mode: job.mode,
    keyArn: job.keyArn,
    format: job.format,
    upgradeFormat: job.upgradeFormat,
  };
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
    state: 'COMPLIANT' | 'SKIPPED' | 'FAILED',
    reason: string,
    head: ObjectHead | undefined,
    known?: { existing: LedgerItem | undefined },
    error?: string,
  ): Promise<JobResult> => {
    const outcome = state === 'COMPLIANT' ? 'compliant' : state === 'SKIPPED' ? 'skipped' : 'failed';
    // Compliant because an attempt of this job wrote it and died before the ledger heard (its
    // lease may have expired since): close that attempt as encrypted, which is what happened.
    // With no ledger item at all, nothing was ever decided here: the audit chain is likely new.
    let likelyNewChain = false;
    if (state === 'COMPLIANT' && head) {
      const existing = known ? known.existing : await deps.ledger.get(ref);
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
          error,
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
        error,
        etagBefore: head?.etag,
        versionIdBefore: head?.versionId,
        keyArn: head?.kmsKeyArn,
      },
      { likelyNewChain },
    );
    return { outcome, reason, detail: error };
  };

  const routed = await routeLargeObject(job, deps.largeObjects);
  if (routed) return routed;
  // The run's customer key opens SSE-C objects at HEAD (README, "SSE-C objects").
  const customerKey = migrationKeyFor(job, deps.sseCustomerKey);
  const head = await headObject(deps.s3, job.bucket, job.key, { sseCustomerKey: customerKey }).catch(
    (error) => {
      throw classifyAwsError(error, 'HEAD failed', ref);
    },
  );
  if (!head) return decided('SKIPPED', 'missing', undefined);
  const keyProblem = sseCustomerKeyProblem(job, deps.sseCustomerKey, head);
  if (keyProblem) return decided('FAILED', keyProblem.reason, head, undefined, keyProblem.detail);

  const decision = decideCompliance(head, policy, deps.config);
  if (decision.action === 'skip') return decided('SKIPPED', decision.reason, head);
  if (decision.action === 'compliant') {
    if (!decision.envelopeFormat || !policy.keyArn) return decided('COMPLIANT', decision.detail, head);
    // A readable envelope: compliant only under the policy's key. This run's own crashed write is
    // under it by construction: reconcile that first.
    const existing = await deps.ledger.get(ref);
    const ourCrashedWrite =
      existing?.state === 'IN_PROGRESS' && existing.runId === job.runId && writtenByUs(existing, head);
    if (ourCrashedWrite) return decided('COMPLIANT', decision.detail, head, { existing });
    const verdict = await verifyEnvelopeKey(deps, head, policy.keyArn, existing).catch((error) => {
      throw classifyAwsError(error, 'checking the envelope key failed', ref);
    });
    if (!verdict.compliant) return decided('SKIPPED', verdict.reason, head);
    return decided('COMPLIANT', decision.detail, head, { existing });
  }

  const routedNow = await routeLargeObject(job, deps.largeObjects, head, decision.method);
  if (routedNow) return routedNow;
  // In envelope mode every write seals an envelope, an SSE-C migration included.
  const sealsEnvelope = policy.mode === 'envelope';
  if (sealsEnvelope && (await hasInstructionFile(head))) {
    return decided('SKIPPED', 'has-instruction-file', head);
  }

  // The nonce (V2's IV, V3's message id) is chosen before the claim and stored with it: after a
  // crash, finding it on the object proves the write was ours and landed, so the retry closes the
  // job without writing again. A format upgrade always writes V3.
  const writesV3 = decision.method === 'upgrade-format' || (policy.format ?? 'v3') === 'v3';
  const iv = sealsEnvelope ? randomBytes(writesV3 ? MESSAGE_ID_LENGTH_BYTES : IV_LENGTH_BYTES) : undefined;
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
  let grants: ExtraGrants | undefined;
  try {
    // Read before the write: the rewrite replaces the object's ACL with a private one.
    grants = await deps.acl?.extraGrants(head.bucket, head.key, head.versionId);
    const multipart = encryptUploadTracker(deps, { ref, owner, head, policy, runId: job.runId });
    written = await protectObject(
      { ...deps, sseCustomerKey: customerKey, multipart },
      head,
      policy,
      decision.method,
      iv,
      () => faults.check('after-data-key'),
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
  const acl = await settleAcl(deps.acl, grants, job.keepAcl === true, {
    bucket: head.bucket,
    key: head.key,
    versionId: written.versionId,
    etag: written.etag,
  });
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
      ...(acl.acl ? { acl: acl.acl } : {}),
      ...(acl.warning ? { warnings: [acl.warning] } : {}),
    },
  );
  // Finish fails only when a slow attempt's lease was taken over: the object is protected by this
  // write all the same, and the attempt that took over reconciles and counts it.
  return finished
    ? { outcome: 'encrypted', reason: acl.warning }
    : { outcome: 'duplicate', detail: 'claim taken over' };

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
  // An envelope write (a plain seal, a format upgrade, an SSE-C migration in envelope mode) carries
  // the nonce chosen at claim time: V3's message id or V2's IV.
  if (method === 'envelope' || method === 'upgrade-format' || item.envelopeIv !== undefined) {
    const nonce = item.envelopeIv;
    return (
      nonce !== undefined && (head.metadata[META_V3.messageId] === nonce || head.metadata[META.iv] === nonce)
    );
  }
  // A server-side rewrite leaves no marker (and may keep the ETag: S3 computes an MD5 ETag for
  // SSE-S3 copies), but the caller has just seen the object compliant, which is what this job was
  // for, so closing the job is safe whoever wrote it.
  return method !== undefined;
}
