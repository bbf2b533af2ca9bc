import type { AuditDecision, AuditRecord } from '../audit/audit-record.js';
import type { ProtectMethod } from '../compliance.js';
import type { Config } from '../config.js';
import type { Faults } from '../faults.js';
import type { ProtectionMode } from '../policy.js';
import type { ObjectHead } from '../s3/object-head.js';
import type { JobDeadline } from './deadline.js';
import type { JobResult } from './job-result.js';

/** How a re-wrap writes: KMS ReEncrypt of an envelope's data key, or an SSE-KMS key move. */
export type RewrapMethod = 'reencrypt-data-key' | 'move-kms-key';

/**
 * What an object's decision knows of the chunk attempt it runs in (docs/architecture.md, "Chunk
 * ledger"). No per-object item exists: after a crash, what S3 shows decides.
 */
export interface AttemptView {
  /** An earlier attempt of this chunk was claimed and never committed: it may have written objects. */
  recovering: boolean;
  /** The chunk's first claim: an object written after it and found as the job wants it is ours. */
  claimedSince: Date;
  /** This attempt's salt: envelope nonces are derived from it (envelope-nonce.ts). */
  salt: Buffer;
  /** The salts of earlier attempts, oldest first: a nonce derived from one proves that attempt wrote. */
  earlierSalts: Buffer[];
  /** The chunk item's key: multipart uploads keep their state there (chunk-uploads.ts). */
  chunk: { runId: string; chunkId: string };
  /** This attempt's owner token (the chunk claim's). */
  owner: string;
}

/** What every object decision needs, whatever the operation. */
export interface ObjectDeps {
  config: Pick<Config, 'leaseSeconds' | 'actor'>;
  faults?: Faults;
  /** The invocation's deadline: work that cannot finish before it is not started. */
  deadline?: JobDeadline;
  now?: () => Date;
}

/** Which job this is: the object, run and job ids, and the mode its records name. */
export interface JobIdentity {
  bucket: string;
  key: string;
  runId: string;
  jobId: string;
  mode: ProtectionMode | 'rewrap';
}

/** A decision that needs no write: the object is compliant, skipped, or failed. */
export interface Decision {
  action: 'decide';
  state: 'COMPLIANT' | 'SKIPPED' | 'FAILED';
  reason: string;
  /** FAILED: what went wrong (the audit record's error, the result's detail). */
  error?: string;
  head?: ObjectHead;
  /** Fields the audit record adds (the key ARN it names). */
  audit?: Partial<AuditRecord>;
}

/** The record a write (or the reconciliation of a crashed attempt's write) ends with. */
export interface Completion {
  decision: AuditDecision;
  audit: Partial<AuditRecord>;
  result: JobResult;
}

/** Work that writes the object, conditional on `head.etag`, then recorded. */
export interface ObjectWrite<W> {
  action: 'write';
  head: ObjectHead;
  method: ProtectMethod | RewrapMethod;
  /** How long the write is expected to take: not started when the deadline is nearer. */
  estimateMs: number;
  /** Fields every record of this write carries. */
  audit?: Partial<AuditRecord>;
  /** The conditional S3 write. Its errors are classified by the lifecycle (decide-object.ts). */
  write(): Promise<W>;
  /** After the write landed: what to record. */
  complete(written: W): Promise<Completion>;
}

/**
 * What an operation does with an object after its HEAD. `handed-off`: the object went elsewhere (the
 * large-object queue) and is not recorded in this chunk.
 */
export type Plan<W> = Decision | ObjectWrite<W> | { action: 'handed-off'; result: JobResult };

/** One kind of object job (encrypt, rewrap) plugged into the chunk lifecycle. */
export interface ObjectOperation<W> {
  job: JobIdentity;
  /**
   * What S3 holds now: a HEAD, or (envelope mode) a GET whose body is held for the seal
   * (docs/architecture.md, "Deciding on the GET"); undefined when the object does not exist.
   */
  read(): Promise<ObjectHead | undefined>;
  /**
   * Releases what `read` holds open that no write took (a GET's body): called once per object when
   * its outcome is known, whatever it is (recorded, handed off, failed or thrown).
   */
  release?(): void;
  /** What to do, from the HEAD. */
  decide(head: ObjectHead, attempt: AttemptView): Promise<Plan<W>>;
  /**
   * Asked only when the attempt is recovering and `decide` found the object as the job wants it:
   * whether S3 shows an earlier attempt's write (its proof of landing: a derived nonce, or a write
   * after the chunk's first claim).
   */
  landed(head: ObjectHead, attempt: AttemptView): boolean;
  /** What to record for a write proven landed (a crash between the write and the commit). */
  reconciled(head: ObjectHead): Completion;
}
