/**
 * A small model of how AWS decides one request against the policies of this stack (for the deploy
 * tests): an explicit Deny wins, else some Allow must match, else the request is refused. It knows
 * only what these policies use (action wildcards, the account as principal, `*`, and the
 * ArnEquals, ArnNotEquals, StringEquals, StringLike, ForAllValues:StringLike and
 * ForAnyValue:StringEquals operators) and
 * throws on anything else, so a policy that grows beyond it fails the tests instead of being
 * judged wrongly. Resources are not modelled: a request matches a statement whatever it names.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyRequest {
  action: string;
  /** The caller's `aws:PrincipalArn`: an ARN, or the CloudFormation value a role's ARN will be. */
  principalArn: unknown;
  /** Request context keys (`kms:SigningAlgorithm`, …; multivalued: `dynamodb:LeadingKeys`). */
  context?: Record<string, string | string[]>;
}

export type Decision = 'allow' | 'deny' | 'implicit-deny';

/** IAM's wildcard match: `*` any run of characters, `?` any one (actions and StringLike values). */
const globToRegExp = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

export function actionMatches(patterns: string | string[], action: string): boolean {
  return [patterns].flat().some((pattern) => globToRegExp(pattern).test(action));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function conditionHolds(operator: string, key: string, expected: unknown, request: PolicyRequest): boolean {
  const actual = key === 'aws:PrincipalArn' ? request.principalArn : request.context?.[key];
  const values = Array.isArray(expected) ? expected : [expected];
  switch (operator) {
    case 'ArnEquals':
    case 'StringEquals':
      return actual !== undefined && values.some((value) => same(value, actual));
    case 'ArnNotEquals':
      // A negated operator holds when the key is absent (IAM policy evaluation logic).
      return actual === undefined || !values.some((value) => same(value, actual));
    case 'StringLike':
      return typeof actual === 'string' && values.some((value) => actionMatches(String(value), actual));
    case 'ForAnyValue:StringEquals':
      // Some value the request carries must match (and a request without the key does not).
      return [actual ?? []].flat().some((one) => values.some((value) => same(value, one)));
    case 'ForAllValues:StringLike':
      // Every value the request carries must match (and a request without the key matches).
      return [actual ?? []]
        .flat()
        .every((one) => values.some((value) => actionMatches(String(value), String(one))));
    default:
      throw new Error(`policy-decision: condition operator ${operator} is not modelled`);
  }
}

function principalMatches(principal: unknown): boolean {
  if (principal === undefined) return true; // an identity policy: the caller is its holder
  if (principal === '*') return true;
  const aws = (principal as { AWS?: unknown }).AWS;
  // The account as principal: any principal of the account whose IAM policies allow it. The tests
  // ask about principals of this account holding such policies.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JS
  if (same(aws, { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' })) return true;
  throw new Error(`policy-decision: principal ${JSON.stringify(principal)} is not modelled`);
}

function applies(statement: PolicyStatement, request: PolicyRequest): boolean {
  if (!actionMatches(statement.Action, request.action)) return false;
  if (!principalMatches(statement.Principal)) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, expected, request)),
  );
}

export function decide(statements: readonly PolicyStatement[], request: PolicyRequest): Decision {
  const matching = statements.filter((statement) => applies(statement, request));
  if (matching.some((statement) => statement.Effect === 'Deny')) return 'deny';
  return matching.some((statement) => statement.Effect === 'Allow') ? 'allow' : 'implicit-deny';
}
