import type { RewrapJob } from '../jobs/messages.js';
import type { AttemptView, Completion } from '../lifecycle/object-operation.js';
import type { ObjectHead } from '../s3/object-head.js';
import type { DataKeyRewrap } from './rewrap-data-key.js';
import { sourceKeyReason } from './source-key-reason.js';

/**
 * What a re-wrap's write did: wrote the object, or found on KMS that no write was needed. A write
 * that moved only the server-side layer (the envelope was settled on KMS) carries that settlement.
 */
export type Rewrapped =
  | {
      kind: 'written';
      etag: string;
      fromKeyArn: string;
      kmsRequestId?: string;
      envelopeSettled?: Extract<DataKeyRewrap, { kind: 'settled' }>;
      /** Not written now: an earlier attempt of the chunk did, proven by what S3 shows. */
      reconciled?: true;
    }
  | Extract<DataKeyRewrap, { kind: 'settled' }>;

/**
 * The object was last written after the chunk's first claim. A re-wrap is a metadata copy, so its
 * write moves LastModified: found under the target key, such an object was written by an attempt
 * of this chunk (docs/architecture.md, "Chunk ledger"). S3's LastModified has whole seconds, so a
 * write in the claim's own second counts as after it (compared to the millisecond, a write a few
 * milliseconds after the claim would read as older, and its crash would be re-wrapped again).
 */
export function writtenSinceClaim(head: ObjectHead, attempt: Pick<AttemptView, 'claimedSince'>): boolean {
  if (head.lastModified === undefined) return false;
  return head.lastModified.getTime() >= Math.floor(attempt.claimedSince.getTime() / 1000) * 1000;
}

/**
 * How a re-wrap ends (docs/architecture.md, "Re-wrap and upgrade"): the record of a write that
 * landed, of one reconciled after a crash, or of a settlement by what KMS showed. The record's
 * `keyArn` names the key the object is left under: manifests are compacted from it.
 */
export function rewrapCompletions(job: RewrapJob) {
  /** The record of a re-wrap, counted under its source key (the summary lists each key objects moved from). */
  function rewrapped(
    etagAfter: string,
    fromKeyArn: string,
    kmsRequestIds: string[],
    detail: string,
  ): Completion {
    return {
      decision: 'rewrapped',
      audit: { etagAfter, keyArn: job.toKeyArn, reason: `from ${fromKeyArn}`, kmsRequestIds },
      result: { outcome: 'encrypted', reason: sourceKeyReason(fromKeyArn), detail },
    };
  }

  /** An earlier attempt's write, proven landed: counted as re-wrapped, once. */
  function reconciled(head: ObjectHead): Completion {
    const done = rewrapped(head.etag, job.fromKeyArn, [], 'rewrapped (reconciled: the write had landed)');
    return { ...done, audit: { ...done.audit, reconciled: true } };
  }

  /** How a write ends: re-wrapped, or settled by what KMS showed (a crashed attempt's write, reconciled). */
  function completion(head: ObjectHead, done: Rewrapped, attempt: AttemptView): Completion {
    if (done.kind === 'settled') {
      // KMS shows the data key under the target already: after a crash, an envelope written since
      // the claim is this chunk's earlier write (no other mark of it exists).
      if (done.state === 'COMPLIANT' && attempt.recovering && writtenSinceClaim(head, attempt)) {
        return reconciled(head);
      }
      const outcome = done.state === 'COMPLIANT' ? 'compliant' : 'skipped';
      return {
        decision: outcome,
        audit: { reason: done.reason, ...(outcome === 'compliant' ? { keyArn: job.toKeyArn } : {}) },
        result: { outcome, reason: done.reason },
      };
    }
    if (done.envelopeSettled?.state === 'SKIPPED') {
      // Only the server-side layer moved: the envelope is wrapped under a third key.
      const reason = `server-side layer from ${done.fromKeyArn}; the envelope is under another key`;
      return {
        decision: 'rewrapped',
        audit: {
          etagAfter: done.etag,
          keyArn: job.toKeyArn,
          reason,
          ...(done.reconciled ? { reconciled: true } : {}),
        },
        result: { outcome: 'encrypted', reason: sourceKeyReason(done.fromKeyArn), detail: reason },
      };
    }
    // Both layers found moved by an earlier attempt (the envelope's data key and its server-side layer).
    if (done.reconciled) return reconciled(head);
    const kmsRequestIds = done.kmsRequestId ? [done.kmsRequestId] : [];
    return rewrapped(done.etag, done.fromKeyArn, kmsRequestIds, 'rewrapped');
  }

  return { completion, reconciled };
}
