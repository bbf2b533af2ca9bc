import { randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { classifyAwsError } from '../aws-errors.js';
import { decideCompliance, INSTRUCTION_FILE_SUFFIX, type ProtectMethod } from '../compliance.js';
import type { Config } from '../config.js';
import { IV_LENGTH_BYTES, MESSAGE_ID_LENGTH_BYTES, META, META_V3 } from '../envelope/format.js';
import { Faults } from '../faults.js';
import type { LedgerItem } from '../ledger/ledger.js';
import { estimateWorkMs } from '../lifecycle/deadline.js';
import type { JobResult } from '../lifecycle/job-result.js';
import type { LifecycleDeps, ObjectOperation, Plan } from '../lifecycle/object-operation.js';
import { runObjectJob } from '../lifecycle/run-object-job.js';
import type { ProtectionPolicy } from '../policy.js';
import type { AclInspector, ExtraGrants } from '../s3/object-acl.js';
import { headObject, type ObjectHead } from '../s3/object-head.js';
import type { SseCustomerKey } from '../s3/sse-c-key.js';
import { settleAcl } from './carry-acl.js';
import { verifyEnvelopeKey } from './envelope-key.js';
import { type LargeObjectDeps, protectionMovesData, routeLargeObject } from './large-object-route.js';
import type { EncryptJob } from './messages.js';
import { protectObject, type WriteResult } from './protect-object.js';
import { migrationKeyFor, sseCustomerKeyProblem } from './sse-c-job.js';
import { encryptUploadTracker } from './upload-tracker.js';

export type { JobResult } from '../lifecycle/job-result.js';

export interface EncryptDeps extends LifecycleDeps, LargeObjectDeps {
  s3: S3Client;
  kms: KMSClient;
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
   * its fingerprint (docs/safety.md, "SSE-C objects"). Never logged, never in a message.
   */
  sseCustomerKey?: SseCustomerKey;
}

/** A landed write, with the ACL grants read before it (to carry or report). */
type Written = { write: WriteResult; grants: ExtraGrants | undefined };

/**
 * Brings one object under its run's protection (docs/architecture.md, "The job lifecycle"): the
 * encrypt operation's own steps (HEAD with the run's SSE-C key, the compliance decision, the
 * protecting write, ACL carry, the proof that a crashed write landed) in the shared lifecycle.
 * Format upgrades and SSE-C migrations run through here too.
 */
export async function encryptObject(job: EncryptJob, deps: EncryptDeps): Promise<JobResult> {
  // A job the message already marks as too large for this function goes to the large-object queue
  // before any request (docs/architecture.md, "Large objects").
  const routed = await routeLargeObject(job, deps.largeObjects);
  if (routed) return routed;
  return runObjectJob(encryptOperation(job, deps), deps);
}

function encryptOperation(job: EncryptJob, deps: EncryptDeps): ObjectOperation<Written> {
  const faults = deps.faults ?? Faults.none();
  const now = deps.now ?? (() => new Date());
  const policy: ProtectionPolicy = {
    mode: job.mode,
    keyArn: job.keyArn,
    format: job.format,
    upgradeFormat: job.upgradeFormat,
    otherKmsKeys: job.otherKmsKeys,
  };
  const ref = { bucket: job.bucket, key: job.key, operation: 'encrypt' as const };
  // The run's customer key opens SSE-C objects at HEAD (docs/safety.md, "SSE-C objects").
  const customerKey = migrationKeyFor(job, deps.sseCustomerKey);

  async function decide(head: ObjectHead): Promise<Plan<Written>> {
    const decided = (state: 'COMPLIANT' | 'SKIPPED' | 'FAILED', reason: string, error?: string) => ({
      action: 'decide' as const,
      state,
      reason,
      error,
      head,
      audit: { keyArn: head.kmsKeyArn },
    });
    const keyProblem = sseCustomerKeyProblem(job, deps.sseCustomerKey, head);
    if (keyProblem) return decided('FAILED', keyProblem.reason, keyProblem.detail);

    const decision = decideCompliance(head, policy, deps.config);
    if (decision.action === 'skip') return decided('SKIPPED', decision.reason);
    if (decision.action === 'compliant') {
      if (!decision.envelopeFormat || !policy.keyArn) return decided('COMPLIANT', decision.detail);
      // A readable envelope: compliant only under the policy's key. This run's own crashed write is
      // under it by construction: the lifecycle reconciles that first.
      const existing = await deps.ledger.get(ref);
      const ourCrashedWrite =
        (existing?.state === 'IN_PROGRESS' || existing?.state === 'RETRY') &&
        existing.runId === job.runId &&
        writtenByUs(existing, head);
      if (!ourCrashedWrite) {
        const verdict = await verifyEnvelopeKey(deps, head, policy.keyArn, existing).catch((error) => {
          throw classifyAwsError(error, 'checking the envelope key failed', ref);
        });
        if (!verdict.compliant) return decided('SKIPPED', verdict.reason);
      }
      return { ...decided('COMPLIANT', decision.detail), existing: { item: existing } };
    }

    // In envelope mode every write seals an envelope, an SSE-C migration included.
    const sealsEnvelope = policy.mode === 'envelope';
    if (sealsEnvelope && (await hasInstructionFile(head))) return decided('SKIPPED', 'has-instruction-file');
    // An object too large for one Lambda invocation, now that its size and write method are known,
    // is handed to the large-object queue before any claim (docs/architecture.md, "Large objects").
    const routedNow = await routeLargeObject(
      job,
      deps.largeObjects,
      head,
      protectionMovesData(decision.method),
    );
    if (routedNow) return { action: 'handed-off', result: routedNow };
    return protectPlan(head, decision.method, sealsEnvelope, decision.sourceKeyArn);
  }

  function protectPlan(
    head: ObjectHead,
    method: ProtectMethod,
    sealsEnvelope: boolean,
    sourceKeyArn?: string,
  ): Plan<Written> {
    // The nonce (V2's IV, V3's message id) is chosen before the claim and stored with it: after a
    // crash, finding it on the object proves the write was ours and landed, so the retry closes the
    // job without writing again. A format upgrade always writes V3.
    const writesV3 = method === 'upgrade-format' || (policy.format ?? 'v3') === 'v3';
    const iv = sealsEnvelope ? randomBytes(writesV3 ? MESSAGE_ID_LENGTH_BYTES : IV_LENGTH_BYTES) : undefined;
    return {
      action: 'write',
      head,
      method,
      envelopeIv: iv?.toString('base64'),
      // A re-key names the key the object leaves in every record of this claim, and the run counts
      // it under that key (docs/architecture.md, "Compliance").
      ...(method === 'rekey' && sourceKeyArn ? { audit: { keyArnBefore: sourceKeyArn } } : {}),
      // Envelope writes pass every byte through this process; the others are server-side copies.
      estimateMs: estimateWorkMs(head.size, sealsEnvelope ? 'stream' : 'copy'),
      write: async ({ owner }) => {
        // Read before the write: the rewrite replaces the object's ACL with a private one.
        const grants = await deps.acl?.extraGrants(head.bucket, head.key, head.versionId);
        // Multipart writes keep their upload in the claim's ledger item (resumed or aborted later).
        const multipart = encryptUploadTracker(deps, { ref, owner, head, policy, runId: job.runId });
        const write = await protectObject(
          { ...deps, sseCustomerKey: customerKey, multipart },
          head,
          policy,
          method,
          iv,
          () => faults.check('after-data-key'),
        );
        return { write, grants };
      },
      complete: async ({ write, grants }) => {
        const acl = await settleAcl(deps.acl, grants, job.keepAcl === true, {
          bucket: head.bucket,
          key: head.key,
          versionId: write.versionId,
          etag: write.etag,
        });
        const keyArn = write.keyArn ?? policy.keyArn;
        const wrappedAt = now().toISOString();
        return {
          decision: 'encrypted',
          finish: {
            state: 'DONE',
            resultEtag: write.etag,
            resultVersionId: write.versionId,
            keyArn,
            wrappedAt,
          },
          audit: {
            etagAfter: write.etag,
            versionIdAfter: write.versionId,
            keyArn,
            kmsRequestIds: write.kmsRequestIds,
            ...(acl.acl ? { acl: acl.acl } : {}),
            ...(acl.warning ? { warnings: [acl.warning] } : {}),
          },
          result: { outcome: 'encrypted', reason: acl.warning },
        };
      },
    };
  }

  async function hasInstructionFile(current: ObjectHead): Promise<boolean> {
    const sibling = await headObject(deps.s3, current.bucket, `${current.key}${INSTRUCTION_FILE_SUFFIX}`);
    return sibling !== undefined;
  }

  return {
    job: { ...ref, runId: job.runId, jobId: job.jobId, mode: job.mode },
    read: () => headObject(deps.s3, job.bucket, job.key, { sseCustomerKey: customerKey }),
    decide,
    landed: writtenByUs,
    reconciled: (item, head) => ({
      decision: 'encrypted',
      finish: {
        state: 'DONE',
        resultEtag: head.etag,
        resultVersionId: head.versionId,
        keyArn: policy.keyArn,
        wrappedAt: item.updatedAt,
      },
      audit: { etagAfter: head.etag, versionIdAfter: head.versionId, keyArn: policy.keyArn },
      result: { outcome: 'encrypted', detail: 'reconciled after a crash' },
    }),
  };
}

/** Whether an object S3 shows compliant carries the write an unfinished ledger item intended. */
function writtenByUs(item: LedgerItem, head: ObjectHead): boolean {
  const method = item.method;
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
