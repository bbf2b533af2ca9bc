import type { PolicyDocument, PolicyStatement } from './upload-policy.js';

/**
 * What a bucket policy refuses at upload time, read from its Deny statements that cover
 * s3:PutObject (any principal, any resource in the bucket: `plan` reports, it does not prove).
 */
export interface UploadEnforcement {
  /**
   * Uploads must name their encryption: a Deny when the header is absent (`Null: true`), or a
   * "not equals" test on it without a `Null: false` guard (true when the key is absent).
   */
  headerRequired: boolean;
  /** Algorithms a "not equals" Deny on the header allows; undefined when no statement says. */
  algorithms?: string[];
  /** KMS key ids a "not equals" Deny on the key-id header allows; undefined when none says. */
  keys?: string[];
  /** A Deny when the SSE-C algorithm header is present. */
  deniesSseC: boolean;
}

const SSE = 's3:x-amz-server-side-encryption';
const SSE_KEY = 's3:x-amz-server-side-encryption-aws-kms-key-id';
const SSE_C = 's3:x-amz-server-side-encryption-customer-algorithm';

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

/** True when a statement's Action (IAM wildcards, case-insensitive) includes s3:PutObject. */
function coversPutObject(statement: PolicyStatement): boolean {
  if (statement.NotAction !== undefined) return false;
  return list(statement.Action).some((action) => {
    const pattern = action
      .toLowerCase()
      .replace(/[.+^$()|[\]{}\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return new RegExp(`^${pattern}$`).test('s3:putobject');
  });
}

/** Reads the upload-time denials out of a bucket policy (undefined: the bucket has none). */
export function uploadEnforcement(policy: PolicyDocument | undefined): UploadEnforcement {
  const found: UploadEnforcement = { headerRequired: false, deniesSseC: false };
  const raw: unknown = policy?.Statement ?? [];
  const statements = (Array.isArray(raw) ? raw : [raw]) as PolicyStatement[];
  for (const statement of statements) {
    if (statement.Effect !== 'Deny' || !coversPutObject(statement)) continue;
    // Condition keys are case-insensitive (IAM User Guide, "Condition element").
    const operators = Object.entries(statement.Condition ?? {}).map(
      ([operator, tests]) =>
        [operator, new Map(Object.entries(tests).map(([k, v]) => [k.toLowerCase(), list(v)]))] as const,
    );
    const nulls = operators.find(([operator]) => operator === 'Null')?.[1];
    // `Null: false` in the same statement: the test applies only when the header is present.
    const guarded = (key: string) => nulls?.get(key)?.includes('false') ?? false;
    if (nulls?.get(SSE)?.includes('true')) found.headerRequired = true;
    if (guarded(SSE_C)) found.deniesSseC = true;
    for (const [operator, byKey] of operators) {
      if (operator !== 'StringNotEquals' && operator !== 'StringNotEqualsIfExists') continue;
      const algorithms = byKey.get(SSE);
      if (algorithms) found.algorithms = [...(found.algorithms ?? []), ...algorithms];
      const keys = byKey.get(SSE_KEY);
      if (keys) found.keys = [...(found.keys ?? []), ...keys];
      // A "not equals" test is true when its key is absent (IAM User Guide, "Condition operators"):
      // unguarded, it refuses every upload that does not name its encryption.
      if ((algorithms && !guarded(SSE)) || (keys && !guarded(SSE_KEY))) found.headerRequired = true;
    }
  }
  return found;
}

/** The enforcement as a short label for a table cell; `policyKey` is named `policy key`. */
export function describeEnforcement(e: UploadEnforcement, policyKey?: string): string {
  const key = (k: string) =>
    policyKey && (k === policyKey || k === shortKey(policyKey)) ? 'policy key' : shortKey(k);
  const parts = [
    ...(e.headerRequired ? ['header required'] : []),
    ...(e.algorithms ? [`only ${e.algorithms.join('|')}`] : []),
    ...(e.keys ? [`only key ${e.keys.map(key).join('|')}`] : []),
    ...(e.deniesSseC ? ['no SSE-C'] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** `arn:aws:kms:REGION:ACCOUNT:key/ID` as its id; anything else as it is. */
export function shortKey(key: string): string {
  return /^arn:aws[\w-]*:kms:[^:]*:[^:]*:key\/(.+)$/.exec(key)?.[1] ?? key;
}
