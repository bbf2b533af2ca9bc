import type { ObjectState } from './compliance.js';
import { classifyClientSide } from './envelope/format.js';

/**
 * The protection an object carries, whatever a policy asks for: what an audit record says an
 * object was under before a decision, and what the report counts before and after a run. `plan`
 * refines `sse-kms` by the policy's key (shared/plan/tally.ts); the key itself is kept beside it.
 */
export const PROTECTION_STATES = [
  'unencrypted',
  'sse-s3',
  'sse-kms',
  'dsse-kms',
  'envelope-v2',
  'envelope-v3',
  'client-side-other',
  'sse-c',
  'archived',
] as const;
export type ProtectionState = (typeof PROTECTION_STATES)[number];

// Same precedence as decideCompliance: SSE-C and archived objects are ruled out before anything
// else, any S3EC metadata makes an object client-side encrypted.
export function protectionStateOf(object: ObjectState): ProtectionState {
  if (object.sseCustomerAlgorithm) return 'sse-c';
  if (['GLACIER', 'DEEP_ARCHIVE'].includes(object.storageClass ?? '') || object.archiveStatus)
    return 'archived';
  const clientSide = classifyClientSide(object.metadata);
  if (clientSide.kind === 'readable')
    return clientSide.envelope.format === 'v2' ? 'envelope-v2' : 'envelope-v3';
  if (clientSide.kind !== 'none') return 'client-side-other';
  switch (object.serverSideEncryption) {
    case undefined:
      return 'unencrypted';
    case 'AES256':
      return 'sse-s3';
    case 'aws:kms:dsse':
      return 'dsse-kms';
    default:
      return 'sse-kms';
  }
}

/**
 * What an audit record says about the object as the decision found it (docs/architecture.md,
 * "Audit"): its protection, the server-side KMS key a HEAD shows (an envelope's key is inside its
 * metadata, not in the HEAD), and its size, so a report can show before → after and bytes.
 */
export function protectionBefore(head: ObjectState & { size?: number }) {
  return {
    protectionBefore: protectionStateOf(head),
    ...(head.kmsKeyArn ? { keyArnBefore: head.kmsKeyArn } : {}),
    ...(head.size !== undefined ? { size: head.size } : {}),
  };
}
