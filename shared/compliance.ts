import { classifyClientSide, type EnvelopeFormat } from './envelope/format.js';
import type { ProtectionPolicy } from './policy.js';

/** What HEAD told us about an object, reduced to what the compliance decision reads. */
export interface ObjectState {
  key: string;
  /** `AES256`, `aws:kms`, `aws:kms:dsse`, or undefined for an unencrypted object. */
  serverSideEncryption?: string;
  kmsKeyArn?: string;
  /** Set when the object is encrypted with a customer-provided key (SSE-C). */
  sseCustomerAlgorithm?: string;
  /** SSE-C only: true when the run's migration key opened the object, false when S3 refused it. */
  sseCustomerKeyMatches?: boolean;
  storageClass?: string;
  /** Intelligent-Tiering archive tiers (ARCHIVE_ACCESS, DEEP_ARCHIVE_ACCESS). */
  archiveStatus?: string;
  metadata: Record<string, string>;
}

export type SkipReason =
  | 'missing'
  | 'sse-c'
  | 'archived'
  | 's3ec-instruction-file'
  | 'has-instruction-file'
  | 'unreadable-client-side-format'
  | 'malformed-envelope'
  | 'dsse-other-key'
  | 'wrapped-under-another-key'
  | 'under-another-kms-key'
  | 'envelope-key-unusable';

export type ProtectMethod =
  | 'copy-in-place'
  /** sse-kms: an SSE-KMS object under another key, copied in place onto the policy key. */
  | 'rekey'
  | 'update-encryption'
  | 'envelope'
  | 'upgrade-format'
  | 'sse-c-migration';

export type ComplianceDecision =
  | {
      action: 'compliant';
      detail: string;
      /**
       * Envelope mode: the object is a readable envelope whose wrapping key the HEAD cannot show.
       * The caller confirms it is the policy's key (ledger, or KMS) before counting it compliant.
       */
      envelopeFormat?: EnvelopeFormat;
    }
  | {
      action: 'skip';
      reason: SkipReason;
      detail: string;
      /** `under-another-kms-key`: the key the object stays under. */
      sourceKeyArn?: string;
    }
  | {
      action: 'protect';
      method: ProtectMethod;
      /** `rekey`: the KMS key the object leaves, recorded in its audit record and the run's counts. */
      sourceKeyArn?: string;
    };

// Objects in these classes must be restored before S3 will read them; a copy in place would fail
// or, for a restored copy, silently change the class's billing. Skip and report.
const ARCHIVED_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/** The suffix S3EC's instruction-file variant uses for the envelope of `<key>`. */
export const INSTRUCTION_FILE_SUFFIX = '.instruction';

/**
 * The decision table (docs/architecture.md, "Compliance"). Pure: it sees one HEAD and the policy,
 * and decides whether an object is already compliant, must be skipped with a reason, or needs
 * protecting and how.
 *
 * Order matters: objects we must not or cannot touch are ruled out first; any client-side envelope
 * of any S3EC version counts as client-side encrypted under every mode, because encrypting it
 * again would bury its data key (data loss) — one s3-seal cannot read, or a malformed one, is
 * skipped with a reason, never written; stronger server-side protection than the policy asks for
 * (DSSE-KMS) is never downgraded.
 */
export function decideCompliance(
  object: ObjectState,
  policy: ProtectionPolicy,
  options: { useUpdateObjectEncryption: boolean },
): ComplianceDecision {
  if (object.sseCustomerAlgorithm) return decideSseCustomer(object, policy);
  if (ARCHIVED_CLASSES.has(object.storageClass ?? '') || object.archiveStatus) {
    return {
      action: 'skip',
      reason: 'archived',
      detail: `archived (${object.archiveStatus ?? object.storageClass}); restore it first`,
    };
  }
  const clientSide = classifyClientSide(object.metadata);
  switch (clientSide.kind) {
    case 'unreadable':
      return { action: 'skip', reason: 'unreadable-client-side-format', detail: clientSide.detail };
    case 'malformed':
      return { action: 'skip', reason: 'malformed-envelope', detail: clientSide.detail };
    case 'readable': {
      const format = clientSide.envelope.format;
      if (policy.mode !== 'envelope') {
        return { action: 'compliant', detail: `client-side envelope (S3EC ${format})` };
      }
      if (format === 'v2' && policy.upgradeFormat) return { action: 'protect', method: 'upgrade-format' };
      return { action: 'compliant', detail: `client-side envelope (S3EC ${format})`, envelopeFormat: format };
    }
    case 'none':
      break;
  }
  const sse = object.serverSideEncryption;
  switch (policy.mode) {
    case 'envelope':
      if (object.key.endsWith(INSTRUCTION_FILE_SUFFIX)) {
        return {
          action: 'skip',
          reason: 's3ec-instruction-file',
          detail:
            'an S3EC instruction file holds another object’s data key; encrypting it would lose that key',
        };
      }
      return { action: 'protect', method: 'envelope' };
    case 'sse-kms':
      if ((sse === 'aws:kms' || sse === 'aws:kms:dsse') && object.kmsKeyArn === policy.keyArn) {
        return { action: 'compliant', detail: `${sse} under the policy key` };
      }
      if (sse === 'aws:kms:dsse') {
        // A copy under single-layer SSE-KMS would strip a layer the owner chose.
        return {
          action: 'skip',
          reason: 'dsse-other-key',
          detail: `DSSE-KMS under ${object.kmsKeyArn ?? 'another key'}; s3-seal never downgrades dual-layer encryption`,
        };
      }
      if (sse === 'aws:kms') return decideOtherKmsKey(object.kmsKeyArn, policy);
      if (sse === 'AES256' && options.useUpdateObjectEncryption) {
        return { action: 'protect', method: 'update-encryption' };
      }
      return { action: 'protect', method: 'copy-in-place' };
    case 'sse-s3':
      if (sse === 'AES256' || sse === 'aws:kms' || sse === 'aws:kms:dsse') {
        return { action: 'compliant', detail: sse === 'AES256' ? 'SSE-S3' : `${sse} (stronger than SSE-S3)` };
      }
      return { action: 'protect', method: 'copy-in-place' };
  }
}

/**
 * An SSE-KMS object under a key other than the policy's is a decision of its own, never a plain
 * "encrypted": another application may hold `kms:Decrypt` on that key only, so moving the object
 * can break it. `rekey` (the default) moves it and names the source key; `leave` keeps it where it
 * is (docs/architecture.md, "Compliance").
 */
function decideOtherKmsKey(sourceKeyArn: string | undefined, policy: ProtectionPolicy): ComplianceDecision {
  const source = sourceKeyArn ?? 'an unnamed KMS key';
  if (policy.otherKmsKeys === 'leave') {
    return {
      action: 'skip',
      reason: 'under-another-kms-key',
      detail: `SSE-KMS under ${source}; left there (--other-kms-keys leave)`,
      ...(sourceKeyArn ? { sourceKeyArn } : {}),
    };
  }
  return { action: 'protect', method: 'rekey', ...(sourceKeyArn ? { sourceKeyArn } : {}) };
}

/**
 * SSE-C objects move only with the customer's key (docs/safety.md, "SSE-C objects"), and only to SSE-KMS or
 * envelope. S3EC data stored under SSE-C must keep its bytes (a second envelope would bury its data
 * key), so only the server-side copy of `sse-kms` may move it.
 */
function decideSseCustomer(object: ObjectState, policy: ProtectionPolicy): ComplianceDecision {
  const skip = (detail: string): ComplianceDecision => ({ action: 'skip', reason: 'sse-c', detail });
  if (object.sseCustomerKeyMatches !== true || policy.mode === 'sse-s3') {
    return skip('encrypted with a customer-provided key (SSE-C)');
  }
  if (
    policy.mode === 'envelope' &&
    (classifyClientSide(object.metadata).kind !== 'none' || object.key.endsWith(INSTRUCTION_FILE_SUFFIX))
  ) {
    return skip('S3EC data under SSE-C: move it with --mode sse-kms, which keeps its bytes');
  }
  return { action: 'protect', method: 'sse-c-migration' };
}

/** True when `object` now carries what the policy asks for: used to reconcile after a crash. */
export function isCompliant(object: ObjectState, policy: ProtectionPolicy): boolean {
  return decideCompliance(object, policy, { useUpdateObjectEncryption: false }).action === 'compliant';
}
