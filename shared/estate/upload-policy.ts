import { createHash } from 'node:crypto';
import type { ProtectionPolicy } from '../policy.js';

/** One IAM policy statement, as far as s3-seal reads or writes bucket policies. */
export interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  [other: string]: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement[];
}

/** Statements s3-seal writes carry this Sid prefix; nothing else in a policy is ever changed. */
export const OWN_SID_PREFIX = 'S3SealDeny';

const SSE = 's3:x-amz-server-side-encryption';
const SSE_KEY = 's3:x-amz-server-side-encryption-aws-kms-key-id';
const SSE_C = 's3:x-amz-server-side-encryption-customer-algorithm';

/**
 * The deny statements `setup --watch --deny-unencrypted` adds for a watched prefix (S3 User Guide,
 * "Requiring server-side encryption", and the condition keys of "Actions, resources, and condition
 * keys for Amazon S3"). The key-id condition compares the header as sent, so it names the key ARN.
 *
 * - SSE-C is refused (s3-seal can neither check nor manage it).
 * - sse-kms: another algorithm in the header (AES256; DSSE-KMS is stronger, so allowed) and
 *   another key are refused, and `aws:kms` without a key id (S3 would use the AWS managed key
 *   aws/s3), unless the watch leaves uploads under other KMS keys (`--other-kms-keys leave`).
 *   Under sse-s3 any server-side algorithm is compliant, so none is refused.
 * - An upload without the header is never refused: the bucket's default encryption gives it the
 *   policy's protection. A "not equals" test is true when its key is absent (IAM User Guide,
 *   "Condition operators"), so each one is paired with `Null: false` (the header is present); a bare
 *   one would refuse plain uploads and every UploadPart, which carries no encryption header.
 */
export function denyStatements(input: {
  bucket: string;
  prefix: string;
  suffix: string;
  policy: ProtectionPolicy;
}): PolicyStatement[] {
  const { policy } = input;
  const tag = statementTag(input.prefix, input.suffix);
  const deny = (name: string, condition: PolicyStatement['Condition']): PolicyStatement => ({
    Sid: `${OWN_SID_PREFIX}${name}${tag}`,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:PutObject',
    Resource: `arn:aws:s3:::${input.bucket}/${input.prefix}*${input.suffix}`,
    Condition: condition,
  });
  const statements = [deny('SseC', { Null: { [SSE_C]: 'false' } })];
  if (policy.mode === 'sse-kms' && policy.keyArn) {
    statements.push(
      deny('OtherEncryption', {
        StringNotEquals: { [SSE]: ['aws:kms', 'aws:kms:dsse'] },
        Null: { [SSE]: 'false' },
      }),
    );
    // `--other-kms-keys leave`: uploads under another KMS key belong to applications that own their
    // keys; the watch leaves them there, so the policy must not refuse them at upload either.
    if (policy.otherKmsKeys !== 'leave') {
      statements.push(
        deny('OtherKmsKey', { StringNotEquals: { [SSE_KEY]: policy.keyArn }, Null: { [SSE_KEY]: 'false' } }),
        // DSSE-KMS without a key id too: S3 would use aws/s3, and sse-kms mode never re-keys
        // (downgrades) a DSSE object, so it would stay under aws/s3.
        deny('KmsWithoutKey', {
          StringEquals: { [SSE]: ['aws:kms', 'aws:kms:dsse'] },
          Null: { [SSE_KEY]: 'true' },
        }),
      );
    }
  }
  return statements;
}

/** What ties s3-seal's statements to one watched prefix and suffix (like its notification id). */
export function statementTag(prefix: string, suffix: string): string {
  return createHash('sha256').update(`${prefix}\0${suffix}`).digest('hex').slice(0, 12);
}

/**
 * The bucket policy with s3-seal's statements for one watched prefix (those of `tag`) replaced by
 * `ours`, every other statement (the user's, or another prefix's) kept as it was, in its order.
 * `changed` is false when the policy already held exactly these statements, so a second setup
 * writes nothing.
 */
export function mergeStatements(
  existing: PolicyDocument | undefined,
  tag: string,
  ours: PolicyStatement[],
): { policy: PolicyDocument; changed: boolean } {
  const base: PolicyDocument = existing ?? { Version: '2012-10-17', Statement: [] };
  const statements = Array.isArray(base.Statement) ? base.Statement : [base.Statement as PolicyStatement];
  const isOurs = (s: PolicyStatement) => isOwnStatement(s, tag);
  const kept = statements.filter((s) => !isOurs(s));
  const before = statements.filter(isOurs);
  const changed = before.length !== ours.length || before.some((s, i) => canonical(s) !== canonical(ours[i]));
  return {
    policy: { ...base, Version: base.Version ?? '2012-10-17', Statement: [...kept, ...ours] },
    changed,
  };
}

/** A statement s3-seal wrote for the watched prefix and suffix whose tag is `tag`. */
export function isOwnStatement(s: PolicyStatement, tag: string): boolean {
  return typeof s.Sid === 'string' && s.Sid.startsWith(OWN_SID_PREFIX) && s.Sid.endsWith(tag);
}

/** JSON with object keys sorted, and one-element arrays as their element (how S3 may echo them). */
function canonical(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.length === 1 ? norm(v[0]) : v.map(norm);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, x]) => [k, norm(x)]),
      );
    return v;
  };
  return JSON.stringify(norm(value));
}
