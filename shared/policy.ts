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
  /**
   * sse-kms mode: what becomes of an object under another KMS key (absent: `rekey`, the default;
   * docs/architecture.md, "Compliance").
   */
  otherKmsKeys?: OtherKmsKeys;
}

/**
 * What sse-kms mode does with an object SSE-KMS encrypted under a key other than the policy's:
 * `rekey` moves it onto the policy key and records the key it came from; `leave` skips it as
 * `under-another-kms-key`, for estates where other applications own their keys.
 */
export const OTHER_KMS_KEYS = ['rekey', 'leave'] as const;
export type OtherKmsKeys = (typeof OTHER_KMS_KEYS)[number];
export const DEFAULT_OTHER_KMS_KEYS: OtherKmsKeys = 'rekey';

export function needsKey(mode: ProtectionMode): boolean {
  return mode !== 'sse-s3';
}
