import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { errorName } from '../aws-errors.js';
import { ConfigError } from '../errors.js';

/**
 * The KMS key that signs the transparency log's checkpoints (docs/architecture.md, "Transparency
 * log"): asymmetric `ECC_NIST_P256` for `SIGN_VERIFY` (ECDSA over SHA-256, the signed-note 0x02
 * type). Its private half never leaves KMS; the verifier key is derived from its public half.
 */
const KEY_SPEC = 'ECC_NIST_P256';
const KEY_USAGE = 'SIGN_VERIFY';

const fix = (keyId: string) => `run \`s3-seal setup\` (it creates ${keyId}) or set S3SEAL_TLOG_KEY`;

async function describe(kms: KMSClient, keyId: string): Promise<KeyMetadata | undefined> {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  } catch (error) {
    if (errorName(error) === 'NotFoundException') return undefined;
    throw error;
  }
}

function checkSigningKey(keyId: string, key: KeyMetadata): string {
  if (key.KeySpec !== KEY_SPEC || key.KeyUsage !== KEY_USAGE) {
    throw new ConfigError(
      `the transparency log's signing key ${keyId} is ${key.KeySpec ?? '?'} for ${key.KeyUsage ?? '?'}; ` +
        `it must be ${KEY_SPEC} for ${KEY_USAGE}: set S3SEAL_TLOG_KEY`,
    );
  }
  if (key.KeyState !== 'Enabled') {
    throw new ConfigError(`the transparency log's signing key ${keyId} is ${key.KeyState ?? 'not enabled'}`);
  }
  return key.Arn!;
}

/** The signing key exists, is enabled and can sign checkpoints: its ARN, or a one-line ConfigError. */
export async function assertSigningKeyUsable(kms: KMSClient, keyId: string): Promise<string> {
  const key = await describe(kms, keyId);
  if (!key)
    throw new ConfigError(`the transparency log's signing key ${keyId} does not exist: ${fix(keyId)}`);
  return checkSigningKey(keyId, key);
}

/**
 * `setup`: the signing key behind the alias, or a new one given that alias. A key named by ID or
 * ARN is never created here (its ID cannot be chosen): it must exist.
 */
export async function ensureSigningKey(
  kms: KMSClient,
  keyId: string,
): Promise<{ keyArn: string; status: 'created' | 'exists' }> {
  const existing = await describe(kms, keyId);
  if (existing) return { keyArn: checkSigningKey(keyId, existing), status: 'exists' };
  if (!keyId.startsWith('alias/')) {
    throw new ConfigError(`the transparency log's signing key ${keyId} does not exist: set S3SEAL_TLOG_KEY`);
  }
  const created = await kms.send(
    new CreateKeyCommand({
      KeySpec: KEY_SPEC,
      KeyUsage: KEY_USAGE,
      Description: 's3-seal transparency log: signs checkpoints',
    }),
  );
  await kms.send(new CreateAliasCommand({ AliasName: keyId, TargetKeyId: created.KeyMetadata!.KeyId! }));
  return { keyArn: created.KeyMetadata!.Arn!, status: 'created' };
}
