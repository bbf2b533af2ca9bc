import { createHash } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { rewrapJobOf } from '../chunks/chunk-jobs.js';
import type { RewrapChunk } from '../chunks/chunk-message.js';
import { largeRewrapChunk } from '../chunks/large-chunk.js';
import type { ChunkKind } from '../chunks/run-chunk.js';
import type { Config } from '../config.js';
import { classifyClientSide, type Envelope, wrappedKeyName } from '../envelope/format.js';
import { type LargeObjectDeps, routeLargeObject } from '../jobs/large-object-route.js';
import type { RewrapJob } from '../jobs/messages.js';
import { uploadTracker } from '../jobs/upload-tracker.js';
import { estimateWorkMs } from '../lifecycle/deadline.js';
import type {
  AttemptView,
  Decision,
  ObjectDeps,
  ObjectOperation,
  Plan,
} from '../lifecycle/object-operation.js';
import { copyInPlace } from '../s3/copy-in-place.js';
import { headObject, type ObjectHead } from '../s3/object-head.js';
import { type Rewrapped, rewrapCompletions, writtenSinceClaim } from './rewrap-completion.js';
import { rewrapDataKey } from './rewrap-data-key.js';
import {
  hasKmsLayer,
  layerMoveCopiesData,
  layerUnderSource,
  layerUnderTarget,
  moveKmsLayer,
  serverSideAfterRewrap,
} from './server-side-layer.js';

export interface RewrapDeps extends ObjectDeps, LargeObjectDeps {
  s3: S3Client;
  kms: KMSClient;
  config: Pick<
    Config,
    | 'leaseSeconds'
    | 'actor'
    | 'copyMultipartThresholdBytes'
    | 'copyPartSizeBytes'
    | 'useUpdateObjectEncryption'
  >;
}

/** The rewrap chunk kind (docs/architecture.md, "Chunks"): each intent's re-wrap operation. */
export function rewrapChunkKind(deps: RewrapDeps): ChunkKind<RewrapChunk> {
  return { operation: (chunk, intent) => rewrapOperation(rewrapJobOf(chunk, intent), deps) };
}

/**
 * Re-wraps one object to `job.toKeyArn` (docs/architecture.md, "Re-wrap and upgrade"), as one
 * intent of a chunk; no ledger item is read or written:
 * - envelope: KMS ReEncrypt of the wrapped data key (V2 `x-amz-key-v2`, V3 `x-amz-3`) with the
 *   stored encryption context as source and destination context (the plaintext data key never
 *   leaves KMS), then a metadata-only copy in place conditional on the ETag read. The ciphertext
 *   bytes do not change. A server-side layer (SSE-KMS, DSSE-KMS) under the source key moves to the
 *   new key in the same copy, or alone when the data key needed no re-wrap (server-side-layer.ts).
 * - SSE-KMS: a conditional copy in place (or UpdateObjectEncryption) under the new key; DSSE-KMS:
 *   a conditional copy in place that stays dual-layer.
 *
 * A rotation (source = target) re-wraps what was last written before `wrappedBefore`: an envelope's
 * data key is wrapped when the object is written, so LastModified says when. Crash proof: every
 * re-wrap writes the object, so one found under the target key and written since the chunk's first
 * claim is this chunk's earlier write (`landed`).
 */
export function rewrapOperation(job: RewrapJob, deps: RewrapDeps): ObjectOperation<Rewrapped> {
  const rotation = job.fromKeyArn === job.toKeyArn;
  const copyOptions = {
    multipartThresholdBytes: deps.config.copyMultipartThresholdBytes,
    partSizeBytes: deps.config.copyPartSizeBytes,
  };
  const { completion, reconciled } = rewrapCompletions(job);
  /**
   * Keeps a multipart copy's upload id and progress on the chunk item, to resume or abort it after
   * a crash. `target` names what the copy writes: an upload is resumed only towards the same.
   */
  const tracked = (attempt: AttemptView, head: ObjectHead, target: string) =>
    deps.uploads &&
    uploadTracker(
      deps.uploads,
      {
        ref: attempt.chunk,
        object: { bucket: job.bucket, key: job.key },
        owner: attempt.owner,
        leaseSeconds: deps.config.leaseSeconds,
        sourceEtag: head.etag,
        sourceVersionId: head.versionId,
        kind: 'copy',
        target,
      },
      { onProgress: deps.onUploadProgress },
    );
  const decided = (head: ObjectHead, state: Decision['state'], reason: string): Decision => ({
    action: 'decide',
    state,
    reason,
    head,
    audit: { keyArn: job.toKeyArn },
  });
  /** A rotation's object last written at or after the cut-off: its data key is under the current material. */
  const writtenSinceCutOff = (head: ObjectHead) =>
    Boolean(
      job.wrappedBefore && head.lastModified && head.lastModified.getTime() >= Date.parse(job.wrappedBefore),
    );

  /** What to do; a write too large for this invocation goes to the large-object queue instead. */
  async function decide(head: ObjectHead, attempt: AttemptView): Promise<Plan<Rewrapped>> {
    const plan = decideObject(head, attempt);
    if (plan.action !== 'write') return plan;
    // UpdateObjectEncryption changes the key in place: no bytes move, whatever the size.
    const movesData =
      plan.method !== 'move-kms-key' || layerMoveCopiesData(head, deps.config.useUpdateObjectEncryption);
    const routed = await routeLargeObject(deps.largeObjects, head, movesData, () => largeRewrapChunk(job));
    return routed ? { action: 'handed-off', result: routed } : plan;
  }

  function decideObject(head: ObjectHead, attempt: AttemptView): Plan<Rewrapped> {
    const clientSide = classifyClientSide(head.metadata);
    if (clientSide.kind === 'readable') return decideEnvelope(head, clientSide.envelope, attempt);
    if (clientSide.kind === 'unreadable' || clientSide.kind === 'malformed') {
      // Its envelope is beyond us, but a server-side layer under the source still moves (metadata kept).
      if (layerUnderSource(head, job.fromKeyArn, job.toKeyArn)) return decideServerSide(head, attempt);
      const reason =
        clientSide.kind === 'unreadable' ? 'unreadable-client-side-format' : 'malformed-envelope';
      return decided(head, 'SKIPPED', reason);
    }
    if (hasKmsLayer(head)) return decideServerSide(head, attempt);
    return decided(head, 'SKIPPED', 'not-kms-protected');
  }

  /** A rotation's object that needs no write: written since the claim, or since the cut-off. */
  function rotationSettled(head: ObjectHead, attempt: AttemptView): Decision | undefined {
    if (!rotation) return undefined;
    if (writtenSinceClaim(head, attempt))
      return decided(head, 'COMPLIANT', 'written since the chunk was claimed');
    if (writtenSinceCutOff(head)) return decided(head, 'COMPLIANT', 'already re-wrapped since the rotation');
    return undefined;
  }

  function decideEnvelope(head: ObjectHead, envelope: Envelope, attempt: AttemptView): Plan<Rewrapped> {
    const settled = rotationSettled(head, attempt);
    if (settled) return settled;
    // V2 `x-amz-key-v2` or V3 `x-amz-3`: the only entry a re-wrap changes (V3's commitment binds the
    // data key, not its wrapping, so `x-amz-d` and `x-amz-i` stay valid).
    const wrappedKeyEntry = wrappedKeyName(envelope.format);
    return {
      action: 'write',
      head,
      method: 'reencrypt-data-key',
      // A metadata-only copy still copies the object's bytes inside S3.
      estimateMs: estimateWorkMs(head.size, 'copy'),
      audit: { keyArn: job.toKeyArn },
      write: async (): Promise<Rewrapped> => {
        const rewrapped = await rewrapDataKey(deps.kms, envelope, job.fromKeyArn, job.toKeyArn);
        if (rewrapped.kind === 'settled') {
          // The data key needs no re-wrap, but the server-side layer may still be under the source.
          if (!layerUnderSource(head, job.fromKeyArn, job.toKeyArn)) {
            // A recovering chunk, the layer under the target and written since the claim: an
            // earlier attempt moved it (a layer-only move leaves no other mark).
            const landed =
              attempt.recovering &&
              layerUnderTarget(head, job.fromKeyArn, job.toKeyArn) &&
              writtenSinceClaim(head, attempt);
            return landed
              ? {
                  kind: 'written',
                  etag: head.etag,
                  fromKeyArn: job.fromKeyArn,
                  envelopeSettled: rewrapped,
                  reconciled: true,
                }
              : rewrapped;
          }
          const moved = await moveKmsLayer(deps.s3, head, job.toKeyArn, {
            ...copyOptions,
            useUpdateObjectEncryption: deps.config.useUpdateObjectEncryption,
            multipart: tracked(attempt, head, `rewrap:${job.toKeyArn}`),
          });
          return {
            kind: 'written',
            etag: moved.etag,
            fromKeyArn: job.fromKeyArn,
            envelopeSettled: rewrapped,
          };
        }
        // The wrapped key and, when it is under the source key too, the server-side layer.
        const written = await copyInPlace(
          deps.s3,
          head,
          serverSideAfterRewrap(head, job.fromKeyArn, job.toKeyArn),
          {
            ...copyOptions,
            replaceMetadata: { ...head.metadata, [wrappedKeyEntry]: rewrapped.wrappedKey },
            // Each attempt's ReEncrypt gives a new wrapped key: a crashed attempt's upload carries
            // another one in its metadata, so it is aborted, never completed.
            multipart: tracked(attempt, head, `rewrap:${job.toKeyArn}:${digestOf(rewrapped.wrappedKey)}`),
          },
        );
        return {
          kind: 'written',
          etag: written.etag,
          fromKeyArn: job.fromKeyArn,
          kmsRequestId: rewrapped.requestId,
        };
      },
      complete: async (done) => completion(head, done, attempt),
    };
  }

  function decideServerSide(head: ObjectHead, attempt: AttemptView): Plan<Rewrapped> {
    if (!rotation && head.kmsKeyArn === job.toKeyArn)
      return decided(head, 'COMPLIANT', 'already under the target key');
    if (head.kmsKeyArn !== job.fromKeyArn) return decided(head, 'SKIPPED', 'wrapped-under-another-key');
    const settled = rotationSettled(head, attempt);
    if (settled) return settled;
    const fromKeyArn = head.kmsKeyArn;
    return {
      action: 'write',
      head,
      method: 'move-kms-key',
      estimateMs: estimateWorkMs(head.size, 'copy'),
      audit: { keyArn: job.toKeyArn },
      write: async (): Promise<Rewrapped> => {
        const written = await moveKmsLayer(deps.s3, head, job.toKeyArn, {
          ...copyOptions,
          useUpdateObjectEncryption: deps.config.useUpdateObjectEncryption,
          multipart: tracked(attempt, head, `rewrap:${job.toKeyArn}`),
        });
        return { kind: 'written', etag: written.etag, fromKeyArn };
      },
      complete: async (done) => completion(head, done, attempt),
    };
  }

  /**
   * Asked when a recovering chunk's decision found the object as the job wants it: under the target
   * (server-side layer named on the HEAD; an envelope's rotation decision is by time alone) and
   * written since the chunk's first claim.
   */
  function landed(head: ObjectHead, attempt: AttemptView): boolean {
    if (!writtenSinceClaim(head, attempt)) return false;
    if (classifyClientSide(head.metadata).kind === 'readable') return rotation;
    return hasKmsLayer(head) && head.kmsKeyArn === job.toKeyArn;
  }

  return {
    job: { bucket: job.bucket, key: job.key, runId: job.runId, jobId: job.jobId, mode: 'rewrap' },
    read: () => headObject(deps.s3, job.bucket, job.key),
    decide,
    landed,
    reconciled,
  };
}

function digestOf(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
