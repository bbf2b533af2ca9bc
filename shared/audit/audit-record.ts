/** The audit record: types only, so writers and readers import it without each other. */
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
  /**
   * The object's LastModified as the decision's HEAD saw it, on decisions that leave the object as
   * it was (compliant, skipped): for a compliant object, when its data key was wrapped, which a
   * rotation's cut-off compares (docs/architecture.md, "Manifests").
   */
  lastModified?: string;
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
