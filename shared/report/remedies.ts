import type { AuditRecord } from '../audit/audit-record.js';

/** What an auditor or operator does about objects a run left unprotected, per reason. */
const REMEDIES: Record<string, { title: string; remedy: string }> = {
  missing: {
    title: 'deleted before it was processed',
    remedy: 'Nothing to protect. If the key was written again, its event or the next run protects it.',
  },
  archived: {
    title: 'in an archive storage class',
    remedy:
      'Restore it (S3 RestoreObject, or move it out of the Intelligent-Tiering archive tier), then run encrypt again on its prefix.',
  },
  'sse-c': {
    title: 'encrypted with a customer-provided key (SSE-C)',
    remedy:
      'S3 opens it only with that key: migrate it with encrypt --sse-c-key-file FILE (--mode sse-kms or envelope).',
  },
  'sse-c-wrong-key': {
    title: 'SSE-C, and the given customer key does not open it',
    remedy: 'Find the customer key it was written with and run encrypt --sse-c-key-file with that key.',
  },
  'sse-c-key-unavailable': {
    title: 'SSE-C, and the worker did not hold the run’s customer key',
    remedy: 'Give the worker the same --sse-c-key-file the run was started with, then resume the run.',
  },
  's3ec-instruction-file': {
    title: 'an S3EC instruction file (holds another object’s data key)',
    remedy: 'Left as it is on purpose: encrypting it would lose that key. No action.',
  },
  'has-instruction-file': {
    title: 'has an S3EC instruction file beside it',
    remedy:
      'Its data key may live in KEY.instruction: check with the client that wrote it before any rewrite; s3-seal will not touch it.',
  },
  'unreadable-client-side-format': {
    title: 'client-side encrypted in a format s3-seal cannot read',
    remedy:
      'Not plaintext: re-encrypt it with the client that wrote it if it must be under your key, or accept it.',
  },
  'malformed-envelope': {
    title: 'S3EC metadata that is incomplete or inconsistent',
    remedy:
      'Inspect its metadata (aws s3api head-object); restore a good version or rewrite it with its writer.',
  },
  'dsse-other-key': {
    title: 'DSSE-KMS under another key',
    remedy:
      's3-seal never downgrades dual-layer encryption: copy it under DSSE-KMS with the policy key, or accept the other key.',
  },
  'wrapped-under-another-key': {
    title: 'envelope data key wrapped under another KMS key',
    remedy: 'Re-wrap it: s3-seal rewrap s3://BUCKET/PREFIX --from THAT-KEY --to POLICY-KEY.',
  },
  'envelope-key-unusable': {
    title: 'envelope data key does not unwrap',
    remedy: 'Re-enable the KMS key or grant kms:Decrypt on it, then run again.',
  },
  'under-another-kms-key': {
    title: 'SSE-KMS under another KMS key, left there (--other-kms-keys leave)',
    remedy:
      'Another application may own that key: leave it, or move it once that application can decrypt with the policy key (s3-seal rewrap --from THAT-KEY --to POLICY-KEY, or encrypt without --other-kms-keys leave).',
  },
  'other-bucket': {
    title: 'an inventory row that names another bucket',
    remedy:
      'Nothing in this bucket was touched for it: check the inventory configuration, and run that bucket with its own report.',
  },
  'undecodable-key': {
    title: 'an inventory row whose key is not valid URL encoding',
    remedy:
      'The report cannot name the object: run encrypt on its prefix by listing (without --inventory), which reads keys from S3 itself.',
  },
  'not-kms-protected': {
    title: 'not under any KMS key (nothing to re-wrap)',
    remedy: 'Bring it under the key first: s3-seal encrypt --mode sse-kms or envelope.',
  },
  'object-changed': {
    title: 'written by someone else while it was processed',
    remedy:
      'The newer bytes were kept, unprotected by this run: live enforcement protects them on their event, or run encrypt again.',
  },
  error: {
    title: 'failed',
    remedy:
      'Fix the cause the error names (permissions, key state, throttling), then run encrypt again on the prefix.',
  },
};

const ALIASES: Array<[RegExp, string]> = [
  [/^deleted during processing/, 'missing'],
  [/^object changed during processing/, 'object-changed'],
];

/**
 * The reason a record is grouped under: its reason code (a record settled from an inventory row
 * says `sse-c (from the inventory row)`, a lost write says it in words), `error` for a failure
 * without one, or the reason as written.
 */
export function reasonOf(record: Pick<AuditRecord, 'decision' | 'reason' | 'error'>): string {
  const reason = record.reason?.trim();
  if (!reason) return record.decision === 'failed' ? 'error' : record.decision;
  for (const [pattern, code] of ALIASES) if (pattern.test(reason)) return code;
  const code = reason.split(' ')[0]!;
  if (code in REMEDIES) return code;
  if (record.decision === 'failed' && /Error$/.test(code)) return code;
  return reason.length > 80 ? `${reason.slice(0, 77)}…` : reason;
}

/** A reason's plain title and what to do about it. */
export function remedyFor(reason: string): { title: string; remedy: string } {
  return (
    REMEDIES[reason] ??
    (/Error$/.test(reason)
      ? { title: `failed: ${reason}`, remedy: REMEDIES.error!.remedy }
      : { title: reason, remedy: 'See the records of these objects: s3-seal audit export --run RUN.' })
  );
}
