import { ConfigError } from '../errors.js';

/** What the user may pass as `--key`: a key id, a key ARN, an alias name or an alias ARN. */
export type KeyReference =
  | { kind: 'key-id'; value: string }
  | { kind: 'key-arn'; value: string }
  | { kind: 'alias-name'; value: string }
  | { kind: 'alias-arn'; value: string };

const KEY_ID = /^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/(.+)$/;

/**
 * Classifies a KMS key reference without calling KMS, so a typo fails before anything is queued.
 * KMS itself resolves every form in DescribeKey; this only rejects what can never resolve.
 */
export function parseKeyReference(input: string): KeyReference {
  const value = input.trim();
  if (KEY_ID.test(value)) return { kind: 'key-id', value };
  if (ALIAS_NAME.test(value)) return { kind: 'alias-name', value };
  const arn = ARN.exec(value);
  if (arn) {
    const [, resource, id] = arn;
    if (resource === 'key' && KEY_ID.test(id!)) return { kind: 'key-arn', value };
    if (resource === 'alias' && ALIAS_NAME.test(`alias/${id}`)) return { kind: 'alias-arn', value };
  }
  throw new ConfigError(
    `not a KMS key reference: "${input}" (expected a key id, key ARN, alias/NAME or alias ARN)`,
  );
}

/** True when `arn` is a key ARN (not an alias ARN). */
export function isKeyArn(arn: string): boolean {
  const match = ARN.exec(arn);
  return match?.[1] === 'key';
}
