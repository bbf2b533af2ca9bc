import type { ProtectMethod } from '../compliance.js';
import type { ProtectionMode } from '../policy.js';
import type { RecordedUpload } from '../chunks/recorded-upload.js';

/** `encrypt` items are also the index of what protects each object; `rewrap` items count re-wraps. */
export type Operation = 'encrypt' | 'rewrap';

/** How a `rewrap` claim re-wraps: KMS ReEncrypt of an envelope's data key, or an SSE-KMS key move. */
export type RewrapMethod = 'reencrypt-data-key' | 'move-kms-key';

/**
 * Where one (object, operation) stands. IN_PROGRESS holds a lease; RETRY gives the work back after
 * a passing failure; the rest are terminal for the run that wrote them.
 */
export type JobState = 'IN_PROGRESS' | 'RETRY' | 'DONE' | 'COMPLIANT' | 'SKIPPED' | 'SUPERSEDED' | 'FAILED';

export interface ObjectRef {
  bucket: string;
  key: string;
  operation: Operation;
}

export interface LedgerItem extends ObjectRef {
  state: JobState;
  runId: string;
  jobId: string;
  owner?: string;
  /** Epoch milliseconds after which another worker may take the claim over. */
  leaseExpiresAt?: number;
  attempts: number;
  sourceEtag: string;
  sourceVersionId?: string;
  /** The ETag of the last HEAD that decided this item (for COMPLIANT/SKIPPED). */
  currentEtag?: string;
  mode: ProtectionMode | 'rewrap';
  method?: ProtectMethod | RewrapMethod;
  /** Envelope mode: the IV chosen at claim time; finding it on the object proves our write landed. */
  envelopeIv?: string;
  resultEtag?: string;
  resultVersionId?: string;
  /** The key ARN that wraps the object's data key (envelope) or encrypts it (SSE-KMS). */
  keyArn?: string;
  /** ISO time the data key was wrapped: with keyArn, the rotation index. */
  wrappedAt?: string;
  /** `encrypt` items: the sharded index key of that wrap (`<keyArn>#<shard>`; wrap-key.ts). */
  wrapKey?: string;
  /**
   * SHA-256 of a re-wrapped `x-amz-key-v2` about to be written: finding it on the object after a
   * crash proves the metadata write landed, even when the source and target key are the same.
   */
  pendingWrap?: string;
  reason?: string;
  error?: string;
  reconciled?: boolean;
  /** A multipart upload the claim is writing, and how far it got (upload-state.ts). */
  upload?: RecordedUpload;
  /** The last upload that ended, and how. */
  lastUpload?: { uploadId: string; how: 'completed' | 'aborted'; at: string };
  /** Upload ids of ours that were aborted (parts no longer billed). */
  abortedUploads?: string[];
  updatedAt: string;
}

export interface ClaimInput extends ObjectRef {
  runId: string;
  jobId: string;
  owner: string;
  leaseSeconds: number;
  sourceEtag: string;
  sourceVersionId?: string;
  mode: ProtectionMode | 'rewrap';
  method: ProtectMethod | RewrapMethod;
  envelopeIv?: string;
}

export type ClaimResult =
  /** `firstClaim`: the item did not exist before, so nothing was ever decided for this object and operation. */
  { claimed: true; firstClaim?: boolean } | { claimed: false; existing?: LedgerItem };

export interface FinishInput {
  /** COMPLIANT: the claimed work found the object already as the job wants it (no write). */
  state: 'DONE' | 'COMPLIANT' | 'SUPERSEDED' | 'SKIPPED' | 'FAILED';
  resultEtag?: string;
  resultVersionId?: string;
  keyArn?: string;
  wrappedAt?: string;
  reason?: string;
  error?: string;
  reconciled?: boolean;
}

export interface DecisionInput extends ObjectRef {
  state: 'COMPLIANT' | 'SKIPPED' | 'DONE' | 'SUPERSEDED' | 'FAILED';
  runId: string;
  jobId: string;
  mode: ProtectionMode | 'rewrap';
  currentEtag?: string;
  reason: string;
}

/**
 * The idempotency record for each (object, operation). Every transition is a conditional write,
 * so two deliveries of one job can never both act, and a crashed worker's claim can be taken over
 * once its lease expires. Methods that transition return false when the condition did not hold:
 * someone else owns or already finished the work, and the caller must do nothing more.
 */
export interface Ledger {
  get(ref: ObjectRef): Promise<LedgerItem | undefined>;
  /** Takes the work: new item, RETRY, an expired lease, or a terminal state of another run or ETag. */
  claim(input: ClaimInput, now?: Date): Promise<ClaimResult>;
  /** Ends the claim this owner holds. */
  finish(ref: ObjectRef, owner: string, outcome: FinishInput, now?: Date): Promise<boolean>;
  /** Gives a claimed job back after a passing failure, so a redelivery can claim it at once. */
  release(ref: ObjectRef, owner: string, error: string, now?: Date): Promise<boolean>;
  /** Records a decision that needed no claim (already compliant, skipped), once per run and ETag. */
  recordDecision(input: DecisionInput, now?: Date): Promise<boolean>;
  /**
   * Records which key now wraps an object's data key (and when) on its `encrypt` item: the index a
   * rotation queries. Written after a re-wrap that S3 shows landed.
   */
  recordWrap(
    ref: ObjectRef,
    wrap: { keyArn: string; wrappedAt: string; resultEtag: string },
    now?: Date,
  ): Promise<void>;
  /** Notes on an object's `encrypt` item the re-wrapped key about to be written (see pendingWrap). */
  recordPendingWrap(ref: ObjectRef, digest: string, now?: Date): Promise<void>;
  /**
   * Closes an IN_PROGRESS item whose write S3 shows already landed (a crash between the S3 write
   * and finish): DONE, reconciled, without writing the object again.
   */
  reconcile(existing: LedgerItem, outcome: FinishInput, now?: Date): Promise<boolean>;
}
