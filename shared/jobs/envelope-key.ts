import type { KMSClient } from '@aws-sdk/client-kms';
import type { SkipReason } from '../compliance.js';
import { parseObjectMetadata } from '../envelope/format.js';
import { wrappingKeyCheck } from '../kms/key-service.js';
import type { ObjectHead } from '../s3/object-head.js';

export type EnvelopeKeyVerdict =
  | { compliant: true }
  | { compliant: false; reason: SkipReason; detail: string };

/**
 * Envelope mode: a readable envelope is compliant only under the policy's key (docs/architecture.md,
 * "Compliance"). KMS is asked (`Decrypt` naming the policy key, which refuses a data key wrapped
 * under another); the unwrapped key is zeroed at once. An earlier attempt's own write is recognised
 * before this, from its nonce, and needs no call.
 */
export async function verifyEnvelopeKey(
  deps: { kms: KMSClient },
  head: ObjectHead,
  keyArn: string,
): Promise<EnvelopeKeyVerdict> {
  const envelope = parseObjectMetadata(head.metadata);
  const verdict = await wrappingKeyCheck(deps.kms, envelope.wrappedKey, envelope.encryptionContext, keyArn);
  if (verdict === 'other-key') {
    return {
      compliant: false,
      reason: 'wrapped-under-another-key',
      detail: `S3EC ${envelope.format} data key is not wrapped under ${keyArn}; use s3-seal rewrap --from OLD --to ${keyArn}`,
    };
  }
  if (verdict === 'undecryptable') {
    return {
      compliant: false,
      reason: 'malformed-envelope',
      detail: 'KMS refuses the data key or its encryption context (altered metadata)',
    };
  }
  if (verdict === 'unusable') {
    return {
      compliant: false,
      reason: 'envelope-key-unusable',
      detail: `KMS will not use ${keyArn} to check this data key (access denied, disabled or deleted)`,
    };
  }
  return { compliant: true };
}
