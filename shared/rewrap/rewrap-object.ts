import { createHash } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.js';
import { classifyClientSide, type Envelope, wrappedKeyName } from '../envelope/format.js';
import { type LargeObjectDeps, routeLargeObject } from '../jobs/large-object-route.js';
import type { RewrapJob } from '../jobs/messages.js';
import { uploadTracker } from '../jobs/upload-tracker.js';
import type { LedgerItem, ObjectRef } from '../ledger/ledger.js';
import { estimateWorkMs } from '../lifecycle/deadline.js';
import type { JobResult } from '../lifecycle/job-result.js';
import type { Decision, LifecycleDeps, ObjectOperation, Plan } from '../lifecycle/object-operation.js';
import { runObjectJob } from '../lifecycle/run-object-job.js';
import { copyInPlace } from '../s3/copy-in-place.js';
import { headObject, type ObjectHead } from '../s3/object-head.js';
import { type Rewrapped, rewrapCompletions } from './rewrap-completion.js';
import { rewrapDataKey } from './rewrap-data-key.js';
import {
  hasKmsLayer,
  layerMoveCopiesData,
  layerUnderSource,
  layerUnderTarget,
  moveKmsLayer,
  serverSideAfterRewrap,
} from './server-side-layer.js';

export interface RewrapDeps extends LifecycleDeps, LargeObjectDeps {
  s3: S3Client;
  kms: KMSClient;
  config: Pick<
    Config,
    | 'leaseSeconds'
    | 'copyMultipartThresholdBytes'
    | 'copyPartSizeBytes'
    | 'actor'
    | 'useUpdateObjectEncryption'
  >;
}

/**
 * Re-wraps one object to `job.toKeyArn` (docs/architecture.md, "Re-wrap and upgrade"), claimed on
 * its `rewrap` ledger item like every object job ("The job lifecycle"):
 * - envelope: KMS ReEncrypt of the wrapped data key (V2 `x-amz-key-v2`, V3 `x-amz-3`) with the
 *   stored encryption context as source and destination context (the plaintext data key never
 *   leaves KMS), then a metadata-only copy in place conditional on the ETag read. The ciphertext
 *   bytes do not change. A server-side layer (SSE-KMS, DSSE-KMS) under the source key moves to the
 *   new key in the same copy, or alone when the data key needed no re-wrap (server-side-layer.ts).
 * - SSE-KMS: a conditional copy in place (or UpdateObjectEncryption) under the new key; DSSE-KMS:
 *   a conditional copy in place that stays dual-layer.
 *
 * ReEncrypt runs only under the claim, so two deliveries never both call it or both write. Before
 * the write, a digest of the new wrapped key is noted on the object's `encrypt` item (pendingWrap):
 * finding it on the object after a crash proves the write landed, even when source and target key
 * are the same (a rotation), and the retry closes the job without writing again.
 */
export async function rewrapObject(job: RewrapJob, deps: RewrapDeps): Promise<JobResult> {
  // A job marked for the large-object queue goes back there before any request (docs/large-buckets.md,
  // "The large-object route").
  const routed = await routeLargeObject(job, deps.largeObjects);
  if (routed) return routed;
  return runObjectJob(rewrapOperation(job, deps), deps);
}

function rewrapOperation(job: RewrapJob, deps: RewrapDeps): ObjectOperation<Rewrapped> {
  const now = deps.now ?? (() => new Date());
  const indexRef: ObjectRef = { bucket: job.bucket, key: job.key, operation: 'encrypt' };
  const copyOptions = {
    multipartThresholdBytes: deps.config.copyMultipartThresholdBytes,
    partSizeBytes: deps.config.copyPartSizeBytes,
  };
  const jobRef: ObjectRef = { bucket: job.bucket, key: job.key, operation: 'rewrap' };
  const { recordWrap, completion, rewrapped } = rewrapCompletions(job, deps.ledger, now);
  /**
   * Keeps a multipart copy's upload id and progress on the job's claimed item, to resume or abort it
   * after a crash. `target` names what the copy writes: an upload is resumed only towards the same.
   */
  const tracked = (owner: string, head: ObjectHead, target: string) =>
    deps.uploads &&
    uploadTracker(
      deps.uploads,
      {
        ref: jobRef,
        owner,
        runId: job.runId,
        leaseSeconds: deps.config.leaseSeconds,
        sourceEtag: head.etag,
        sourceVersionId: head.versionId,
        kind: 'copy',
        target,
      },
      { onProgress: deps.onUploadProgress },
    );
  const decided = (
    head: ObjectHead,
    state: Decision['state'],
    reason: string,
    before?: () => Promise<void>,
  ): Decision => ({ action: 'decide', state, reason, head, audit: { keyArn: job.toKeyArn }, before });
  /** Already under the target key: the index is told so, nothing is written. */
  const settled = (head: ObjectHead, reason: string) =>
    decided(head, 'COMPLIANT', reason, recordWrap(head.etag));

  /**
   * What to do with the object; a write too large for this function's time budget is handed to
   * the large-object queue before its claim (docs/large-buckets.md, "The large-object route").
   */
  async function decide(head: ObjectHead, item: LedgerItem | undefined): Promise<Plan<Rewrapped>> {
    const plan = await decideObject(head, item);
    if (plan.action !== 'write') return plan;
    // UpdateObjectEncryption changes the key in place: no bytes move, whatever the size.
    const movesData =
      plan.method !== 'move-kms-key' || layerMoveCopiesData(head, deps.config.useUpdateObjectEncryption);
    const routed = await routeLargeObject(job, deps.largeObjects, head, movesData);
    return routed ? { action: 'handed-off', result: routed } : plan;
  }

  async function decideObject(head: ObjectHead, item: LedgerItem | undefined): Promise<Plan<Rewrapped>> {
    const clientSide = classifyClientSide(head.metadata);
    if (clientSide.kind === 'readable') return decideEnvelope(head, clientSide.envelope, item);
    if (clientSide.kind === 'unreadable' || clientSide.kind === 'malformed') {
      // Its envelope is beyond us, but a server-side layer under the source still moves (metadata kept).
      if (layerUnderSource(head, job.fromKeyArn, job.toKeyArn)) return decideServerSide(head);
      const reason =
        clientSide.kind === 'unreadable' ? 'unreadable-client-side-format' : 'malformed-envelope';
      return decided(head, 'SKIPPED', reason);
    }
    if (hasKmsLayer(head)) return decideServerSide(head);
    return decided(head, 'SKIPPED', 'not-kms-protected');
  }

  async function decideEnvelope(
    head: ObjectHead,
    envelope: Envelope,
    item: LedgerItem | undefined,
  ): Promise<Plan<Rewrapped>> {
    // V2 `x-amz-key-v2` or V3 `x-amz-3`: the only entry a re-wrap changes (V3's commitment binds the
    // data key, not its wrapping, so `x-amz-d` and `x-amz-i` stay valid).
    const wrappedKeyEntry = wrappedKeyName(envelope.format);
    const indexed = await deps.ledger.get(indexRef);
    // Our earlier write landed and the attempt died before the ledger heard: the lifecycle closes
    // the claim that attempt holds (or, for another run, this is a plain compliant decision).
    if (indexed?.pendingWrap && indexed.pendingWrap === digestOf(head.metadata[wrappedKeyEntry])) {
      return settled(head, 'the re-wrapped key had landed');
    }
    if (isRewrappedSince(indexed)) return settled(head, 'already re-wrapped since the rotation');
    return {
      action: 'write',
      head,
      method: 'reencrypt-data-key',
      // A metadata-only copy still copies the object's bytes inside S3.
      estimateMs: estimateWorkMs(head.size, 'copy'),
      audit: { keyArn: job.toKeyArn },
      write: async ({ owner }) => {
        const rewrapped = await rewrapDataKey(deps.kms, envelope, job.fromKeyArn, job.toKeyArn);
        if (rewrapped.kind === 'settled') {
          // The data key needs no re-wrap, but the server-side layer may still be under the source.
          if (!layerUnderSource(head, job.fromKeyArn, job.toKeyArn)) {
            // An attempt of this job that never finished, and the layer under the target now: that
            // attempt moved it and died before its finish (a layer-only move leaves no other mark).
            const landed = unfinishedAttempt(item) && layerUnderTarget(head, job.fromKeyArn, job.toKeyArn);
            return landed
              ? { kind: 'written', etag: head.etag, fromKeyArn: job.fromKeyArn, envelopeSettled: rewrapped }
              : rewrapped;
          }
          const moved = await moveKmsLayer(deps.s3, head, job.toKeyArn, {
            ...copyOptions,
            useUpdateObjectEncryption: deps.config.useUpdateObjectEncryption,
            multipart: tracked(owner, head, `rewrap:${job.toKeyArn}`),
          });
          return {
            kind: 'written',
            etag: moved.etag,
            fromKeyArn: job.fromKeyArn,
            envelopeSettled: rewrapped,
          };
        }
        const { wrappedKey } = rewrapped;
        const digest = digestOf(wrappedKey);
        await deps.ledger.recordPendingWrap(indexRef, digest, now());
        // The wrapped key and, when it is under the source key too, the server-side layer.
        const serverSide = serverSideAfterRewrap(head, job.fromKeyArn, job.toKeyArn);
        const written = await copyInPlace(deps.s3, head, serverSide, {
          ...copyOptions,
          replaceMetadata: { ...head.metadata, [wrappedKeyEntry]: wrappedKey },
          // Each attempt's ReEncrypt gives a new wrapped key: a crashed attempt's upload carries
          // another one in its metadata, so it is aborted, never completed.
          multipart: tracked(owner, head, `rewrap:${job.toKeyArn}:${digest}`),
        });
        return {
          kind: 'written',
          etag: written.etag,
          fromKeyArn: job.fromKeyArn,
          kmsRequestId: rewrapped.requestId,
        };
      },
      complete: async (done) => completion(head, done, indexed),
    };
  }

  /** This job's own claim, never finished: in progress when it died, or given back after an error. */
  function unfinishedAttempt(item: LedgerItem | undefined): boolean {
    const unfinished = item?.state === 'IN_PROGRESS' || item?.state === 'RETRY';
    return unfinished && item?.runId === job.runId && item.jobId === job.jobId;
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

  async function decideServerSide(head: ObjectHead): Promise<Plan<Rewrapped>> {
    const rotation = job.fromKeyArn === job.toKeyArn;
    if (!rotation && head.kmsKeyArn === job.toKeyArn) return settled(head, 'already under the target key');
    if (head.kmsKeyArn !== job.fromKeyArn) return decided(head, 'SKIPPED', 'wrapped-under-another-key');
    // The wrap the index holds now: a rotation compares with it, and the close replaces it.
    const indexed = await deps.ledger.get(indexRef);
    if (rotation && isRewrappedSince(indexed) && indexed?.resultEtag === head.etag) {
      return settled(head, 'already re-encrypted since the rotation');
    }
    const fromKeyArn = head.kmsKeyArn;
    return {
      action: 'write',
      head,
      method: 'move-kms-key',
      estimateMs: estimateWorkMs(head.size, 'copy'),
      audit: { keyArn: job.toKeyArn },
      write: async ({ owner }) => {
        const written = await moveKmsLayer(deps.s3, head, job.toKeyArn, {
          ...copyOptions,
          useUpdateObjectEncryption: deps.config.useUpdateObjectEncryption,
          multipart: tracked(owner, head, `rewrap:${job.toKeyArn}`),
        });
        return { kind: 'written', etag: written.etag, fromKeyArn };
      },
      complete: async (done) => completion(head, done, indexed),
    };
  }

  return {
    job: {
      bucket: job.bucket,
      key: job.key,
      operation: 'rewrap',
      runId: job.runId,
      jobId: job.jobId,
      mode: 'rewrap',
    },
    read: () => headObject(deps.s3, job.bucket, job.key),
    readsItemFirst: true,
    decide,
    // Asked only when the object is found under the target key (or carrying the pendingWrap digest)
    // while this run's claim is unfinished: that is the write the claim intended.
    landed: () => true,
    reconciled: (_item, head) =>
      rewrapped(head.etag, job.fromKeyArn, [], 'rewrapped (reconciled: the write had landed)'),
  };
}

function digestOf(value: string | undefined): string {
  return createHash('sha256')
    .update(value ?? '')
    .digest('hex');
}
