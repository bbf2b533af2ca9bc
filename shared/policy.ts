/** How a policy wants objects protected (DESIGN.md, "Protection modes"). */
export const PROTECTION_MODES = ['envelope', 'sse-kms', 'sse-s3'] as const;
export type ProtectionMode = (typeof PROTECTION_MODES)[number];

/** A resolved policy: the mode and, for the KMS modes, the key ARN (never an alias). */
export interface ProtectionPolicy {
  mode: ProtectionMode;
  keyArn?: string;
}

export function needsKey(mode: ProtectionMode): boolean {
  return mode !== 'sse-s3';
}
