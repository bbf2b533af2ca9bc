import type { KMSClient } from '@aws-sdk/client-kms';
import type { SkipReason } from '../compliance.js';
import { parseObjectMetadata } from '../envelope/format.js';
import { wrappingKeyCheck } from '../kms/key-service.js';
import type { Ledger, LedgerItem } from '../ledger/ledger.js';
import type { ObjectHead } from '../s3/object-head.js';

export type EnvelopeKeyVerdict =
  | { compliant: true }
  | { compliant: false; reason: SkipReason; detail: string };

/**
 * Envelope mode: a readable envelope is compliant only under the policy's key (docs/architecture.md,
 * "Compliance"). The ledger vouches for objects whose current ETag it recorded under that key (our
 * own writes and re-wraps); any other envelope, such as one an official S3EC client wrote, is asked
 * of KMS once and then indexed, so the next run and a rotation find it without asking again.
 */
export async function verifyEnvelopeKey(
  deps: { kms: KMSClient; ledger: Ledger },
  head: ObjectHead,
  keyArn: string,
  indexed: LedgerItem | undefined,
): Promise<EnvelopeKeyVerdict> {
  if (indexed?.keyArn === keyArn && indexed.resultEtag === head.etag) return { compliant: true };
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
  // The data key was wrapped when the object was last written: the rotation index's wrap time.
  await deps.ledger.recordWrap(
    { bucket: head.bucket, key: head.key, operation: 'encrypt' },
    {
      keyArn,
      wrappedAt: (head.lastModified ?? new Date()).toISOString(),
      resultEtag: head.etag,
    },
  );
  return { compliant: true };
}
