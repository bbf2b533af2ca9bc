/** Outcomes a run counts; each object's job ends in exactly one of them. */
export const OUTCOMES = ['encrypted', 'compliant', 'skipped', 'superseded', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface OutcomeCounts {
  encrypted: number;
  compliant: number;
  skipped: number;
  superseded: number;
  failed: number;
  /** Skips and failures by reason, for the summary. */
  reasons: Record<string, number>;
  /** sse-kms: objects moved onto the policy key, by the KMS key they left (absent: none). */
  rekeyedFrom?: Record<string, number>;
  /** sse-kms with `--other-kms-keys leave`: objects skipped, by the KMS key they stay under. */
  leftUnder?: Record<string, number>;
}

export function emptyCounts(): OutcomeCounts {
  return { encrypted: 0, compliant: 0, skipped: 0, superseded: 0, failed: 0, reasons: {} };
}

/** Reasons an encrypted object can carry: warnings, shown beside the encrypted count. */
export const WARNING_REASONS: ReadonlySet<string> = new Set(['acl-not-carried', 'acl-reapply-failed']);

/** A reason as a counter name: DynamoDB attribute-safe and short. */
export function counterReason(reason: string): string {
  return reason.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60);
}

export function settled(counts: OutcomeCounts): number {
  return OUTCOMES.reduce((sum, o) => sum + counts[o], 0);
}
