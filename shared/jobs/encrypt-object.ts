import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { classifyAwsError } from '../aws-errors.js';
import { encryptJobOf } from '../chunks/chunk-jobs.js';
import type { EncryptChunk } from '../chunks/chunk-message.js';
import { largeEncryptChunk } from '../chunks/large-chunk.js';
import type { ChunkKind } from '../chunks/run-chunk.js';
import { decideCompliance, INSTRUCTION_FILE_SUFFIX, type ProtectMethod } from '../compliance.js';
import type { Config } from '../config.js';
import { envelopeNonce } from '../envelope/envelope-nonce.js';
import {
  classifyClientSide,
  IV_LENGTH_BYTES,
  MESSAGE_ID_LENGTH_BYTES,
  META,
  META_V3,
} from '../envelope/format.js';
import { Faults } from '../faults.js';
import { estimateWorkMs } from '../lifecycle/deadline.js';
import type { AttemptView, ObjectDeps, ObjectOperation, Plan } from '../lifecycle/object-operation.js';
import type { ProtectionPolicy } from '../policy.js';
import { getToDecide, type OpenedObject } from '../s3/get-to-decide.js';
import type { AclInspector, ExtraGrants } from '../s3/object-acl.js';
import { headObject, type ObjectHead } from '../s3/object-head.js';
import type { SseCustomerKey } from '../s3/sse-c-key.js';
import { settleAcl } from './carry-acl.js';
import { verifyEnvelopeKey } from './envelope-key.js';
import {
  type LargeObjectDeps,
  protectionMovesData,
  routeLargeObject,
  routesLarge,
} from './large-object-route.js';
import type { EncryptJob } from './messages.js';
import { protectObject, type WriteResult } from './protect-object.js';
import { migrationKeyFor, sseCustomerKeyProblem } from './sse-c-job.js';
import { encryptUploadTracker } from './upload-tracker.js';

export interface EncryptDeps extends ObjectDeps, LargeObjectDeps {
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

/** The encrypt chunk kind (docs/architecture.md, "Chunks"): each intent's encrypt operation. */
export function encryptChunkKind(deps: EncryptDeps): ChunkKind<EncryptChunk> {
  return { operation: (chunk, intent) => encryptOperation(encryptJobOf(chunk, intent), deps) };
}

/** A landed write, with the ACL grants read before it (to carry or report). */
type Written = { write: WriteResult; grants: ExtraGrants | undefined };

/**
 * Brings one object under its run's protection (docs/architecture.md, "Chunks"): the
 * encrypt operation's own steps (HEAD with the run's SSE-C key, or envelope mode's GET, the
 * compliance decision, the protecting write, ACL carry, the proof that a crashed attempt's write
 * landed). Format upgrades and SSE-C migrations run through here too.
 */
export function encryptOperation(job: EncryptJob, deps: EncryptDeps): ObjectOperation<Written> {
  const faults = deps.faults ?? Faults.none();
  const policy: ProtectionPolicy = {
    mode: job.mode,
    keyArn: job.keyArn,
    format: job.format,
    upgradeFormat: job.upgradeFormat,
    otherKmsKeys: job.otherKmsKeys,
  };
  const ref = { bucket: job.bucket, key: job.key, runId: job.runId };
  // The run's customer key opens SSE-C objects at HEAD (docs/safety.md, "SSE-C objects").
  const customerKey = migrationKeyFor(job, deps.sseCustomerKey);
  // Envelope mode decides on a GET's response headers and seals the body that GET holds, so the
  // PUT is If-Match the ETag of the bytes it encrypts (docs/architecture.md, "Deciding on the GET").
  let opened: OpenedObject | undefined;

  async function read(): Promise<ObjectHead | undefined> {
    if (await decidesOnGet()) {
      const got = await getToDecide(deps.s3, job.bucket, job.key);
      if (got !== 'ask-head') {
        opened = got;
        return got?.head;
      }
    }
    return headObject(deps.s3, job.bucket, job.key, { sseCustomerKey: customerKey });
  }

  /**
   * Whether this object is read with a GET: envelope mode, except an SSE-C migration (its HEAD
   * names the customer key, docs/safety.md "SSE-C objects") and a bucket whose ACLs are in force
   * (the write reads the object's ACL first: no request goes out while a body is held). When S3
   * cannot say, a HEAD, as before.
   */
  async function decidesOnGet(): Promise<boolean> {
    if (policy.mode !== 'envelope' || customerKey) return false;
    if (!deps.acl) return true;
    return !(await deps.acl.usesAcls(job.bucket).catch(() => true));
  }

  async function decide(head: ObjectHead, attempt: AttemptView): Promise<Plan<Written>> {
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
    // Only an envelope seal reads the held body: any other decision lets it go before its next
    // request (a KMS key check, an upgrade's own GET), and decides on the same headers as a HEAD's.
    if (!(decision.action === 'protect' && decision.method === 'envelope')) opened?.release();
    if (decision.action === 'skip') return decided('SKIPPED', decision.reason);
    if (decision.action === 'compliant') {
      if (!decision.envelopeFormat || !policy.keyArn) return decided('COMPLIANT', decision.detail);
      // A readable envelope: compliant only under the policy's key. An earlier attempt's own write
      // is under it by construction (its nonce names the attempt): the lifecycle reconciles it.
      if (!(attempt.recovering && landed(head, attempt))) {
        const verdict = await verifyEnvelopeKey(deps, head, policy.keyArn).catch((error) => {
          throw classifyAwsError(error, 'checking the envelope key failed', ref);
        });
        if (!verdict.compliant) return decided('SKIPPED', verdict.reason);
      }
      // Its data key is wrapped under the policy key: the record names that key (a server-side
      // layer's key, when it has one, as before), so the key's manifest lists the object and a
      // rotation planned from it re-wraps client-written envelopes too.
      const compliant = decided('COMPLIANT', decision.detail);
      return { ...compliant, audit: { keyArn: head.kmsKeyArn ?? policy.keyArn } };
    }

    // In envelope mode every write seals an envelope, an SSE-C migration included.
    const sealsEnvelope = policy.mode === 'envelope';
    if (sealsEnvelope && (await hasInstructionFile(head))) return decided('SKIPPED', 'has-instruction-file');
    // An object too large for one Lambda invocation, now that its size and write method are known,
    // is handed to the large-object queue before any claim (docs/architecture.md, "Large objects").
    if (routesLarge(deps.largeObjects, head, protectionMovesData(decision.method))) opened?.release();
    const routedNow = await routeLargeObject(
      deps.largeObjects,
      head,
      protectionMovesData(decision.method),
      () => largeEncryptChunk(job),
    );
    if (routedNow) return { action: 'handed-off', result: routedNow };
    return protectPlan(head, attempt, decision.method, sealsEnvelope, decision.sourceKeyArn);
  }

  function protectPlan(
    head: ObjectHead,
    attempt: AttemptView,
    method: ProtectMethod,
    sealsEnvelope: boolean,
    sourceKeyArn?: string,
  ): Plan<Written> {
    // The nonce (V2's IV, V3's message id) is derived from the attempt's salt: after a crash,
    // finding it on the object proves the write was that attempt's and landed, so the next attempt
    // records it without writing again (shared/envelope/envelope-nonce.ts). A format upgrade
    // always writes V3.
    const writesV3 = method === 'upgrade-format' || (policy.format ?? 'v3') === 'v3';
    const length = writesV3 ? MESSAGE_ID_LENGTH_BYTES : IV_LENGTH_BYTES;
    const iv = sealsEnvelope ? envelopeNonce(attempt.salt, head.bucket, head.key, length) : undefined;
    return {
      action: 'write',
      head,
      method,
      // A re-key names the key the object leaves in every record of this claim, and the run counts
      // it under that key (docs/architecture.md, "Compliance").
      ...(method === 'rekey' && sourceKeyArn ? { audit: { keyArnBefore: sourceKeyArn } } : {}),
      // Envelope writes pass every byte through this process; the others are server-side copies.
      estimateMs: estimateWorkMs(head.size, sealsEnvelope ? 'stream' : 'copy'),
      write: async () => {
        // Read before the write: the rewrite replaces the object's ACL with a private one.
        const grants = await deps.acl?.extraGrants(head.bucket, head.key, head.versionId);
        // Multipart writes keep their upload in the claim's ledger item (resumed or aborted later).
        const multipart = encryptUploadTracker(deps, {
          ref: attempt.chunk,
          object: { bucket: head.bucket, key: head.key },
          owner: attempt.owner,
          head,
          policy,
        });
        const write = await protectObject(
          // The held GET's body when nothing released it (else the seal GETs If-Match head.etag).
          {
            ...deps,
            sseCustomerKey: customerKey,
            multipart,
            plaintext: method === 'envelope' ? opened?.take() : undefined,
          },
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
        return {
          decision: 'encrypted',
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
    // The listing said, and the object is the one it listed: no HEAD of the sibling needed.
    if (job.instructionFile !== undefined && job.etag !== undefined && job.etag === current.etag) {
      return job.instructionFile;
    }
    // No request while a body is held: the seal will GET the object again, If-Match this ETag.
    opened?.release();
    const sibling = await headObject(deps.s3, current.bucket, `${current.key}${INSTRUCTION_FILE_SUFFIX}`);
    return sibling !== undefined;
  }

  return {
    job: { ...ref, runId: job.runId, jobId: job.jobId, mode: job.mode },
    read,
    release: () => opened?.release(),
    decide,
    landed,
    reconciled: (head) => ({
      decision: 'encrypted',
      audit: { etagAfter: head.etag, versionIdAfter: head.versionId, keyArn: policy.keyArn },
      result: { outcome: 'encrypted', detail: 'reconciled after a crash' },
    }),
  };

  /**
   * Whether an earlier attempt of this chunk wrote the object S3 now shows compliant (docs/
   * architecture.md, "Chunk ledger"). An envelope carries the nonce an attempt derived from its
   * salt. A server-side rewrite leaves no marker (and an SSE-S3 copy keeps a plaintext object's MD5
   * ETag): the object was written after the chunk's first claim, which is what this job was for,
   * so recording it as this run's encryption is safe whoever wrote it.
   */
  function landed(head: ObjectHead, attempt: AttemptView): boolean {
    if (policy.mode === 'envelope') {
      const nonce = head.metadata[META_V3.messageId] ?? head.metadata[META.iv];
      if (nonce === undefined) return false;
      const bytes = Buffer.from(nonce, 'base64');
      return attempt.earlierSalts.some((salt) =>
        envelopeNonce(salt, head.bucket, head.key, bytes.length).equals(bytes),
      );
    }
    // A server-side run writes no envelope and one kind of SSE (its copy, an SSE-C migration, an
    // UpdateObjectEncryption): an object S3 shows otherwise (an application's envelope, DSSE,
    // SSE-KMS in an sse-s3 run) is compliant, but not this chunk's write, whenever it was written.
    if (classifyClientSide(head.metadata).kind !== 'none') return false;
    if (head.serverSideEncryption !== (policy.mode === 'sse-kms' ? 'aws:kms' : 'AES256')) return false;
    return writtenSince(head, attempt.claimedSince);
  }
}

/** S3's LastModified has whole seconds: a write in the claim's second counts as after it. */
export function writtenSince(head: ObjectHead, since: Date): boolean {
  if (!head.lastModified) return false;
  return head.lastModified.getTime() >= Math.floor(since.getTime() / 1000) * 1000 - 1000;
}
