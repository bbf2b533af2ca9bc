import type { AuditDecision, AuditLog, AuditRecord } from '../audit/audit-log.js';
import type { Config } from '../config.js';
import type { Faults } from '../faults.js';
import type { ClaimInput, FinishInput, Ledger, LedgerItem, ObjectRef } from '../ledger/ledger.js';
import type { ObjectHead } from '../s3/object-head.js';
import type { LocalClaims } from '../worker/local-claims.js';
import type { JobDeadline } from './deadline.js';
import type { JobCloser, WrapMove } from './job-closer.js';
import type { JobResult } from './job-result.js';

/** What the job lifecycle needs, whatever the operation (docs/architecture.md, "The job lifecycle"). */
export interface LifecycleDeps {
  ledger: Ledger;
  audit: AuditLog;
  config: Pick<Config, 'leaseSeconds' | 'actor'>;
  /** Identifies this attempt in the ledger's claim (defaults to actor + a random suffix). */
  owner?: string;
  /**
   * In a local process: claims name the process and are tracked, so an interrupt can release them,
   * and a claim held by a local process proven dead is taken over instead of waited out.
   */
  local?: LocalClaims;
  faults?: Faults;
  /**
   * Closes claimed jobs together with the others in flight (one transaction for their records,
   * finishes and tally); absent, each job appends and finishes on its own.
   */
  jobCloser?: JobCloser;
  /** The invocation's deadline: work that cannot finish before it is not started. */
  deadline?: JobDeadline;
  now?: () => Date;
}

/** Which job this is: its ledger item, run and job ids, and the mode its records name. */
export interface JobIdentity extends ObjectRef {
  runId: string;
  jobId: string;
  mode: ClaimInput['mode'];
}

/** A decision that needs no claim and no write: the object is compliant, skipped, or failed. */
export interface Decision {
  action: 'decide';
  state: 'COMPLIANT' | 'SKIPPED' | 'FAILED';
  reason: string;
  /** FAILED: what went wrong (the audit record's error, the result's detail). */
  error?: string;
  head?: ObjectHead;
  /** Fields the audit record adds (the key ARN it names). */
  audit?: Partial<AuditRecord>;
  /** The operation's ledger item, when deciding read it already (saves a read). */
  existing?: { item: LedgerItem | undefined };
  /** Runs before the decision is recorded: records what S3 or KMS showed elsewhere (an index). */
  before?: () => Promise<void>;
}

/** The record a claimed attempt (or the reconciliation of a crashed one) ends with. */
export interface Completion {
  decision: AuditDecision;
  finish: FinishInput;
  audit: Partial<AuditRecord>;
  result: JobResult;
  /** After the audit record, before the ledger finish (the rotation index). */
  beforeFinish?: () => Promise<void>;
  /**
   * What `beforeFinish` writes, as data, so a batched close can write it in its transaction; a
   * completion with a `beforeFinish` and no `wrapMove` closes one step at a time.
   */
  wrapMove?: WrapMove;
}

/** Work that writes the object: claimed first, conditional on `head.etag`, then audited and finished. */
export interface ClaimedWrite<W> {
  action: 'write';
  head: ObjectHead;
  method: ClaimInput['method'];
  /** Envelope writes: the nonce chosen before the claim; finding it on the object proves the write. */
  envelopeIv?: string;
  /** How long the write is expected to take: not started when the deadline is nearer. */
  estimateMs: number;
  /** Fields every audit record of this attempt carries. */
  audit?: Partial<AuditRecord>;
  /** The conditional S3 write, under the claim `owner` holds. Its errors are classified by the lifecycle. */
  write(claim: { owner: string }): Promise<W>;
  /** After the write landed: what to audit and how to finish. */
  complete(written: W): Promise<Completion>;
}

/**
 * What an operation does with an object after its HEAD. `handed-off`: the job went elsewhere (for
 * example a queue served by a process without Lambda's time limit) and is not recorded here.
 */
export type Plan<W> =
  | Decision
  | ClaimedWrite<W>
  | { action: 'duplicate'; reason?: string; detail?: string }
  | { action: 'handed-off'; result: JobResult };

/** One kind of object job (encrypt, rewrap) plugged into the lifecycle. */
export interface ObjectOperation<W> {
  job: JobIdentity;
  /** HEAD of the object; undefined when it does not exist. */
  read(): Promise<ObjectHead | undefined>;
  /** Read the job's ledger item before deciding, and pass it to `decide`. */
  readsItemFirst?: boolean;
  /** What to do, from the HEAD (and the ledger item when `readsItemFirst`). */
  decide(head: ObjectHead, item: LedgerItem | undefined): Promise<Plan<W>>;
  /**
   * Asked only when `decide` found the object as the job wants it and the job's own attempt never
   * finished: whether S3 shows the write that attempt intended (its proof of landing).
   */
  landed(item: LedgerItem, head: ObjectHead): boolean;
  /** What to audit and finish for a write proven landed (a crash between the write and finish). */
  reconciled(item: LedgerItem, head: ObjectHead): Completion;
}
