import type { RewrapJob } from '../jobs/messages.js';
import type { Ledger, LedgerItem, ObjectRef } from '../ledger/ledger.js';
import type { WrapMove } from '../lifecycle/job-closer.js';
import type { Completion } from '../lifecycle/object-operation.js';
import type { ObjectHead } from '../s3/object-head.js';
import type { DataKeyRewrap } from './rewrap-data-key.js';
import { sourceKeyReason } from './source-key-reason.js';

/**
 * What a claimed re-wrap did: wrote the object, or found on KMS that no write was needed. A write
 * that moved only the server-side layer (the envelope was settled on KMS) carries that settlement.
 */
export type Rewrapped =
  | {
      kind: 'written';
      etag: string;
      fromKeyArn: string;
      kmsRequestId?: string;
      envelopeSettled?: Extract<DataKeyRewrap, { kind: 'settled' }>;
    }
  | Extract<DataKeyRewrap, { kind: 'settled' }>;

/**
 * How a re-wrap job ends (docs/architecture.md, "Re-wrap and upgrade"): its audit record, ledger
 * finish and the move of the object's wrap in the rotation index (the object's `encrypt` item),
 * for a write that landed, one reconciled after a crash, or a settlement by what KMS showed.
 */
export function rewrapCompletions(job: RewrapJob, ledger: Pick<Ledger, 'recordWrap'>, now: () => Date) {
  const indexRef: ObjectRef = { bucket: job.bucket, key: job.key, operation: 'encrypt' };
  /** The rotation index (the object's `encrypt` item) learns which key wraps it now. */
  const recordWrap = (resultEtag: string) => () =>
    ledger.recordWrap(indexRef, { keyArn: job.toKeyArn, wrappedAt: now().toISOString(), resultEtag }, now());

  /**
   * The wrap the close records on the `encrypt` item, replacing the one the job read there: in the
   * batched close's transaction, or by `recordWrap` one step at a time.
   */
  const wrapMove = (resultEtag: string, indexed: LedgerItem | undefined): WrapMove => ({
    keyArn: job.toKeyArn,
    wrappedAt: now().toISOString(),
    resultEtag,
    replaces:
      indexed?.wrapKey && indexed.keyArn && indexed.wrappedAt
        ? { keyArn: indexed.keyArn, wrappedAt: indexed.wrappedAt, wrapKey: indexed.wrapKey }
        : undefined,
  });

  /** How a claimed re-wrap ends: re-wrapped, or settled by what KMS showed. */
  async function completion(
    head: ObjectHead,
    done: Rewrapped,
    indexed: LedgerItem | undefined,
  ): Promise<Completion> {
    if (done.kind === 'settled') {
      const outcome = done.state === 'COMPLIANT' ? 'compliant' : 'skipped';
      return {
        decision: outcome,
        finish: { state: done.state, reason: done.reason, resultEtag: head.etag },
        audit: { reason: done.reason },
        result: { outcome, reason: done.reason },
        beforeFinish: done.state === 'COMPLIANT' ? recordWrap(head.etag) : undefined,
        wrapMove: done.state === 'COMPLIANT' ? wrapMove(head.etag, indexed) : undefined,
      };
    }
    const kmsRequestIds = done.kmsRequestId ? [done.kmsRequestId] : [];
    if (done.envelopeSettled?.state === 'SKIPPED') {
      // Only the server-side layer moved: the envelope is wrapped under a third key, which the
      // index keeps naming (it indexes the envelope's key).
      const reason = `server-side layer from ${done.fromKeyArn}; the envelope is under another key`;
      return {
        decision: 'rewrapped',
        finish: { state: 'DONE', resultEtag: done.etag },
        audit: { etagAfter: done.etag, keyArn: job.toKeyArn, reason },
        result: { outcome: 'encrypted', reason: sourceKeyReason(done.fromKeyArn), detail: reason },
      };
    }
    return {
      ...rewrapped(done.etag, done.fromKeyArn, kmsRequestIds, 'rewrapped'),
      wrapMove: wrapMove(done.etag, indexed),
    };
  }

  /** The record of a re-wrap; the index hears of it after the audit record, before the finish. */
  function rewrapped(
    etagAfter: string,
    fromKeyArn: string,
    kmsRequestIds: string[],
    detail: string,
  ): Completion {
    return {
      decision: 'rewrapped',
      // No keyArn or wrappedAt here: the key index reads them from `encrypt` items (recordWrap) only,
      // and would count the object twice.
      finish: { state: 'DONE', resultEtag: etagAfter },
      audit: { etagAfter, keyArn: job.toKeyArn, reason: `from ${fromKeyArn}`, kmsRequestIds },
      // Counted under its source key: the summary lists each key objects moved from.
      result: { outcome: 'encrypted', reason: sourceKeyReason(fromKeyArn), detail },
      beforeFinish: recordWrap(etagAfter),
    };
  }

  return { recordWrap, completion, rewrapped };
}
