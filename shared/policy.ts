import type { EnvelopeFormat } from './envelope/format.js';

/** How a policy wants objects protected (docs/architecture.md, "Protection modes"). */
export const PROTECTION_MODES = ['envelope', 'sse-kms', 'sse-s3'] as const;
export type ProtectionMode = (typeof PROTECTION_MODES)[number];

/** A resolved policy: the mode and, for the KMS modes, the key ARN (never an alias). */
export interface ProtectionPolicy {
  mode: ProtectionMode;
  keyArn?: string;
  /** Envelope mode: the S3EC format new envelopes are written in (default V3). */
  format?: EnvelopeFormat;
  /** Envelope mode: V2 envelopes are not compliant; re-encrypt them to V3. */
  upgradeFormat?: boolean;
}

export function needsKey(mode: ProtectionMode): boolean {
  return mode !== 'sse-s3';
}
