/** The audit record and the audit log's interface: types only, so stores and readers import them without each other. */
export type AuditDecision = 'encrypted' | 'rewrapped' | 'compliant' | 'skipped' | 'superseded' | 'failed';

/**
 * One decision about one object: who, what, how, when, which run. Never carries key material:
 * only key ARNs and KMS request ids.
 */
export interface AuditRecord {
  decision: AuditDecision;
  runId: string;
  jobId: string;
  actor: string;
  bucket: string;
  key: string;
  versionIdBefore?: string;
  versionIdAfter?: string;
  etagBefore?: string;
  etagAfter?: string;
  /**
   * The object as the decision found it (shared/protection-state.ts): its protection and its size
   * in bytes. Absent on records written before these fields, on reconciled records (the HEAD then
   * shows the result) and on inventory rows.
   */
  protectionBefore?: string;
  size?: number;
  mode: string;
  method?: string;
  keyArn?: string;
  /**
   * The server-side KMS key the decision's HEAD showed: for an sse-kms re-key, the key the object
   * left. Absent for objects under no KMS key and on reconciled records.
   */
  keyArnBefore?: string;
  kmsRequestIds?: string[];
  reason?: string;
  error?: string;
  reconciled?: boolean;
  /** Per-object warnings about what a rewrite did not carry (for example `acl-not-carried`). */
  warnings?: string[];
  /** What became of the object's ACL grants, when it had any beyond its owner's. */
  acl?: string;
  at: string;
}

export interface AuditLog {
  /**
   * Appends the decision for one job. Idempotent per (run, job): a redelivered job that reaches the
   * same point again does not add a second record.
   */
  append(record: AuditRecord, hints?: AppendHints): Promise<void>;
}

export interface AppendHints {
  /**
   * The caller has reason to think the object has no audit chain yet (its first claim ever): skip
   * reading the anchor and write as the chain's first record. Only a saving, never a risk: the
   * write is conditional on the anchor being absent, and a chain that exists after all is linked
   * onto instead.
   */
  likelyNewChain?: boolean;
  /**
   * The reason the run counts this outcome under, when it is not the record's own (`reason`, or
   * for an encrypted object its first warning): for example `missing` for an object deleted while
   * it was processed, whose record says so in words.
   */
  countReason?: string;
}

/** The reason the run counts a record under (see AppendHints.countReason). */
export function countReasonOf(record: AuditRecord, hints: AppendHints = {}): string | undefined {
  return (
    hints.countReason ?? (record.decision === 'encrypted' ? record.warnings?.[0] : undefined) ?? record.reason
  );
}
