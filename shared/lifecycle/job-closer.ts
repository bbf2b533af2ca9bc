import type { AppendHints, AuditRecord } from '../audit/audit-record.js';
import type { DecisionInput, FinishInput, ObjectRef } from '../ledger/ledger.js';

/**
 * A job's last step: its audit record (counted in its run) and its ledger write — the finish of
 * the claim `owner` holds, or a decision that needed no claim; none for an inventory row settled
 * without a ledger item.
 */
export interface CloseRequest {
  record: AuditRecord;
  hints: AppendHints;
  ref: ObjectRef;
  ledger?: { owner: string; finish: FinishInput } | { decision: DecisionInput };
  /** A re-wrap: the wrap it records on the object's `encrypt` item (the rotation index). */
  wrapMove?: WrapMove;
  now: Date;
}

/**
 * The wrap a re-wrap records on the object's `encrypt` item, with the wrap that item indexed when
 * the job read it (`replaces`; undefined: none). Written conditional on that wrap still being
 * there, so the key summaries can move the count from the old key to the new one in the same
 * transaction; a changed item sends the job apart, to the one-by-one path that reads old values.
 */
export interface WrapMove {
  keyArn: string;
  wrappedAt: string;
  resultEtag: string;
  replaces: { keyArn: string; wrappedAt: string; wrapKey: string } | undefined;
}

/**
 * `closed`: the record was appended and counted and the ledger written, in one atomic write.
 * `apart`: nothing was written; the lifecycle takes the steps one by one, each with its own rule
 * (a record an earlier delivery appended, a claim another attempt took over, a decision already
 * recorded, a wrap to replace).
 */
export type CloseOutcome = 'closed' | 'apart';

/**
 * Closes claimed jobs together (docs/architecture.md, "Batch-first storage"): the jobs of one batch
 * share one DynamoDB transaction for their records, chain anchors, finishes and a single update of
 * their run's tally shard.
 */
export interface JobCloser {
  /** Closes one job together with the others in flight. */
  close(request: CloseRequest): Promise<CloseOutcome>;
  /** Closes a list of jobs at hand (the rows of one inventory chunk), in as few transactions. */
  closeAll(requests: CloseRequest[]): Promise<CloseOutcome[]>;
}
