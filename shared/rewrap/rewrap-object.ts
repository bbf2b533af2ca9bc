import { createHash } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client, ServerSideEncryption } from '@aws-sdk/client-s3';
import type { AuditLog, AuditRecord } from '../audit/audit-log.js';
import { classifyAwsError, errorName, isNotFound, isPreconditionFailed } from '../aws-errors.js';
import type { Config } from '../config.js';
import { classifyClientSide, type Envelope, wrappedKeyName } from '../envelope/format.js';
import { describeError, PermanentError } from '../errors.js';
import type { JobResult } from '../jobs/encrypt-object.js';
import type { RewrapJob } from '../jobs/messages.js';
import { reEncryptDataKey } from '../kms/key-service.js';
import type { DecisionInput, Ledger, LedgerItem } from '../ledger/ledger.js';
import { copyInPlace } from '../s3/copy-in-place.js';
import { headObject, type ObjectHead } from '../s3/object-head.js';
import { moveToKmsKey } from '../s3/update-encryption.js';

export interface RewrapDeps {
  s3: S3Client;
  kms: KMSClient;
  ledger: Ledger;
  audit: AuditLog;
  config: Pick<
    Config,
    'copyMultipartThresholdBytes' | 'copyPartSizeBytes' | 'actor' | 'useUpdateObjectEncryption'
  >;
  now?: () => Date;
}

/**
 * Re-wraps one object to `job.toKeyArn` (DESIGN.md, "Re-wrap"):
 * - envelope: KMS ReEncrypt of the wrapped data key (V2 `x-amz-key-v2`, V3 `x-amz-3`) with the
 *   stored encryption context (V2 `x-amz-matdesc`, V3 `x-amz-t`) as source and destination context (the plaintext data key never leaves KMS), then a metadata-only copy in
 *   place conditional on the ETag read. The ciphertext bytes do not change.
 * - SSE-KMS: a conditional copy in place under the new key (S3 re-encrypts server-side).
 *
 * Safe to repeat: ReEncrypt reports the key that wrapped the data key, so an object already under
 * the target key is recognised (after a crash between the S3 write and the ledger, or a duplicate)
 * and not written again. A crash between ReEncrypt and the write leaves nothing behind.
 */
export async function rewrapObject(job: RewrapJob, deps: RewrapDeps): Promise<JobResult> {
  const now = deps.now ?? (() => new Date());
  const ref = { bucket: job.bucket, key: job.key };
  const audit = (decision: AuditRecord['decision'], fields: Partial<AuditRecord>) =>
    deps.audit.append({
      decision,
      runId: job.runId,
      jobId: job.jobId,
      actor: deps.config.actor,
      bucket: job.bucket,
      key: job.key,
      mode: 'rewrap',
      at: now().toISOString(),
      ...fields,
    });
  const decided = async (
    state: DecisionInput['state'],
    reason: string,
    head?: ObjectHead,
  ): Promise<JobResult> => {
    const outcome =
      state === 'DONE'
        ? 'encrypted'
        : state === 'COMPLIANT'
          ? 'compliant'
          : state === 'SKIPPED'
            ? 'skipped'
            : state === 'SUPERSEDED'
              ? 'superseded'
              : 'failed';
    const recorded = await deps.ledger.recordDecision(
      {
        ...ref,
        operation: 'rewrap',
        state,
        runId: job.runId,
        jobId: job.jobId,
        mode: 'rewrap',
        currentEtag: head?.etag,
        reason,
      },
      now(),
    );
    const record = () =>
      audit(outcome === 'encrypted' ? 'rewrapped' : outcome, {
        reason,
        etagBefore: head?.etag,
        keyArn: job.toKeyArn,
      });
    if (!recorded) {
      // This very decision was recorded by a delivery that may have died before its audit append.
      const existing = await deps.ledger.get({ ...ref, operation: 'rewrap' });
      if (existing?.runId === job.runId && existing.jobId === job.jobId && existing.state === state)
        await record();
      return { outcome: 'duplicate', reason };
    }
    await record();
    return { outcome, reason };
  };

  const head = await headObject(deps.s3, job.bucket, job.key).catch((error) => {
    throw classifyAwsError(error, 'HEAD failed', ref);
  });
  if (!head) return decided('SKIPPED', 'missing');

  try {
    const clientSide = classifyClientSide(head.metadata);
    if (clientSide.kind === 'readable') return await rewrapEnvelope(head, clientSide.envelope);
    if (clientSide.kind === 'unreadable')
      return await decided('SKIPPED', 'unreadable-client-side-format', head);
    if (clientSide.kind === 'malformed') return await decided('SKIPPED', 'malformed-envelope', head);
    if (head.serverSideEncryption === 'aws:kms' && head.kmsKeyArn) return await rewrapServerSide(head);
    return await decided('SKIPPED', 'not-kms-protected', head);
  } catch (error) {
    if (isPreconditionFailed(error)) return decided('SUPERSEDED', 'object changed during re-wrap', head);
    if (isNotFound(error)) return decided('SKIPPED', 'missing', head);
    const classified = classifyAwsError(error, 're-wrap failed', ref);
    if (classified instanceof PermanentError) return decided('FAILED', describeError(classified), head);
    throw classified;
  }

  async function rewrapEnvelope(current: ObjectHead, envelope: Envelope): Promise<JobResult> {
    // V2 `x-amz-key-v2` or V3 `x-amz-3`: the only entry a re-wrap changes (V3's commitment binds the
    // data key, not its wrapping, so `x-amz-d` and `x-amz-i` stay valid).
    const wrappedKeyEntry = wrappedKeyName(envelope.format);
    const indexed = await deps.ledger.get({ ...ref, operation: 'encrypt' });
    // Our earlier write landed and the worker died before the ledger heard of it: finish, no write.
    if (indexed?.pendingWrap && indexed.pendingWrap === digestOf(current.metadata[wrappedKeyEntry])) {
      return finished(current, current.etag, job.fromKeyArn, undefined, true);
    }
    if (isRewrappedSince(indexed)) return settled(current, 'already re-wrapped since the rotation');
    let rewrapped: Awaited<ReturnType<typeof reEncryptDataKey>>;
    try {
      rewrapped = await reEncryptDataKey(
        deps.kms,
        envelope.wrappedKey,
        envelope.encryptionContext,
        job.fromKeyArn,
        job.toKeyArn,
      );
    } catch (error) {
      if (errorName(unwrapCause(error)) !== 'IncorrectKeyException') throw error;
      // Not wrapped under the source key: already under the target (a duplicate, or a crash after
      // the write), or under some third key that this job must not touch.
      if (await isWrappedUnder(envelope, job.toKeyArn)) {
        return settled(current, 'already wrapped under the target key');
      }
      return decided('SKIPPED', 'wrapped-under-another-key', current);
    }
    const wrappedKey = Buffer.from(rewrapped.wrapped).toString('base64');
    await deps.ledger.recordPendingWrap({ ...ref, operation: 'encrypt' }, digestOf(wrappedKey), now());
    const written = await copyInPlace(deps.s3, current, sameServerSideEncryption(current), {
      multipartThresholdBytes: deps.config.copyMultipartThresholdBytes,
      partSizeBytes: deps.config.copyPartSizeBytes,
      replaceMetadata: { ...current.metadata, [wrappedKeyEntry]: wrappedKey },
    });
    return finished(current, written.etag, job.fromKeyArn, rewrapped.requestId);
  }

  /** ReEncrypt to the same key succeeds only if that key wrapped the data key; nothing is kept. */
  async function isWrappedUnder(envelope: Envelope, keyArn: string) {
    try {
      await reEncryptDataKey(deps.kms, envelope.wrappedKey, envelope.encryptionContext, keyArn, keyArn);
      return true;
    } catch (error) {
      if (errorName(unwrapCause(error)) === 'IncorrectKeyException') return false;
      throw error;
    }
  }

  /** A rotation job (source = target) for an object the ledger shows wrapped after the cut-off. */
  function isRewrappedSince(indexed: LedgerItem | undefined): boolean {
    return Boolean(
      job.wrappedBefore &&
        indexed?.keyArn === job.toKeyArn &&
        indexed.wrappedAt &&
        indexed.wrappedAt >= job.wrappedBefore,
    );
  }

  async function rewrapServerSide(current: ObjectHead): Promise<JobResult> {
    const rotation = job.fromKeyArn === job.toKeyArn;
    if (!rotation && current.kmsKeyArn === job.toKeyArn) {
      return settled(current, 'already under the target key');
    }
    if (current.kmsKeyArn !== job.fromKeyArn) return decided('SKIPPED', 'wrapped-under-another-key', current);
    if (rotation) {
      const indexed = await deps.ledger.get({ ...ref, operation: 'encrypt' });
      if (isRewrappedSince(indexed) && indexed?.resultEtag === current.etag) {
        return settled(current, 'already re-encrypted since the rotation');
      }
    }
    const written = await moveToKmsKey(
      deps.s3,
      current,
      { kmsKeyArn: job.toKeyArn, bucketKeyEnabled: current.bucketKeyEnabled ?? true },
      {
        multipartThresholdBytes: deps.config.copyMultipartThresholdBytes,
        partSizeBytes: deps.config.copyPartSizeBytes,
        useUpdateObjectEncryption: deps.config.useUpdateObjectEncryption,
      },
    );
    return finished(current, written.etag, current.kmsKeyArn!);
  }

  /** The object is already under the target key: make sure the index says so, write nothing. */
  async function settled(current: ObjectHead, reason: string): Promise<JobResult> {
    const result = await decided('COMPLIANT', reason, current);
    if (result.outcome !== 'duplicate') {
      await deps.ledger.recordWrap(
        { ...ref, operation: 'encrypt' },
        { keyArn: job.toKeyArn, wrappedAt: now().toISOString(), resultEtag: current.etag },
        now(),
      );
    }
    return result;
  }

  async function finished(
    current: ObjectHead,
    etagAfter: string,
    fromKeyArn: string,
    kmsRequestId?: string,
    reconciled = false,
  ) {
    // The audit record lands before the ledger hears: a crash in between leaves the pendingWrap
    // marker, so the redelivery comes back here and appends nothing twice (the audit log keeps one
    // record per run and job). The other order lost the record for good when the process died
    // after DONE: the redelivery was a duplicate and the run could never close.
    await audit('rewrapped', {
      etagBefore: current.etag,
      etagAfter,
      keyArn: job.toKeyArn,
      reason: `from ${fromKeyArn}`,
      kmsRequestIds: kmsRequestId ? [kmsRequestId] : [],
    });
    const wrappedAt = now().toISOString();
    await deps.ledger.recordWrap(
      { ...ref, operation: 'encrypt' },
      { keyArn: job.toKeyArn, wrappedAt, resultEtag: etagAfter },
      now(),
    );
    const recorded = await deps.ledger.recordDecision(
      {
        ...ref,
        operation: 'rewrap',
        state: 'DONE',
        runId: job.runId,
        jobId: job.jobId,
        mode: 'rewrap',
        currentEtag: current.etag,
        reason: reconciled ? `from ${fromKeyArn} (reconciled: the write had landed)` : `from ${fromKeyArn}`,
      },
      now(),
    );
    return recorded
      ? ({ outcome: 'encrypted', detail: 'rewrapped' } as JobResult)
      : ({ outcome: 'duplicate' } as JobResult);
  }
}

/** A metadata-only copy must keep the object's server-side encryption exactly as it is. */
function sameServerSideEncryption(head: ObjectHead) {
  return {
    serverSideEncryption: (head.serverSideEncryption ?? 'AES256') as ServerSideEncryption,
    kmsKeyArn: head.kmsKeyArn,
    bucketKeyEnabled: head.bucketKeyEnabled,
  };
}

function digestOf(value: string | undefined): string {
  return createHash('sha256')
    .update(value ?? '')
    .digest('hex');
}

/** The SDK error behind a classified one. */
function unwrapCause(error: unknown): unknown {
  return error instanceof Error && error.cause ? error.cause : error;
}
