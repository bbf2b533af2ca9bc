import type { PolicyDocument, PolicyStatement } from './upload-policy.js';

/**
 * What a bucket policy refuses at upload time, read from its Deny statements that cover
 * s3:PutObject (any principal, any resource in the bucket: `plan` reports, it does not prove).
 */
export interface UploadEnforcement {
  /** A Deny when the encryption header is absent (`Null: {"s3:x-amz-server-side-encryption": "true"}`). */
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
    const condition = statement.Condition ?? {};
    for (const [operator, tests] of Object.entries(condition)) {
      // Condition keys are case-insensitive (IAM User Guide, "Condition element").
      const byKey = new Map(Object.entries(tests).map(([k, v]) => [k.toLowerCase(), list(v)]));
      if (operator === 'Null') {
        if (byKey.get(SSE)?.includes('true')) found.headerRequired = true;
        if (byKey.get(SSE_C)?.includes('false')) found.deniesSseC = true;
      }
      if (operator === 'StringNotEquals' || operator === 'StringNotEqualsIfExists') {
        const algorithms = byKey.get(SSE);
        if (algorithms) found.algorithms = [...(found.algorithms ?? []), ...algorithms];
        const keys = byKey.get(SSE_KEY);
        if (keys) found.keys = [...(found.keys ?? []), ...keys];
        // StringNotEquals without IfExists also refuses an upload without the header.
        if (operator === 'StringNotEquals' && algorithms) found.headerRequired = true;
      }
    }
  }
  return found;
}

/** The enforcement as a short label for a table cell. */
export function describeEnforcement(e: UploadEnforcement): string {
  const parts = [
    ...(e.headerRequired ? ['header required'] : []),
    ...(e.algorithms ? [`only ${e.algorithms.join('|')}`] : []),
    ...(e.keys ? [`only key ${e.keys.map(shortKey).join('|')}`] : []),
    ...(e.deniesSseC ? ['no SSE-C'] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** `arn:aws:kms:REGION:ACCOUNT:key/ID` as its id; anything else as it is. */
export function shortKey(key: string): string {
  return /^arn:aws[\w-]*:kms:[^:]*:[^:]*:key\/(.+)$/.exec(key)?.[1] ?? key;
}
