import {
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyCommand,
  type KeyMetadata,
  type KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { classifyAwsError, errorName } from '../aws-errors.js';
import { KeyUnusableError } from '../errors.js';
import { parseKeyReference } from './key-reference.js';

/** A plaintext data key and its KMS-wrapped form. Zero `plaintext` as soon as it is used. */
export interface DataKey {
  plaintext: Uint8Array;
  wrapped: Uint8Array;
  /** The key ARN KMS reports, even when the request named an alias. */
  keyArn: string;
  requestId?: string;
}

/**
 * Resolves what the user typed as `--key` to a key ARN, and refuses a key that cannot wrap data
 * keys: missing, disabled, pending deletion or import, asymmetric or HMAC. Run before anything is
 * queued, so a bad key changes nothing.
 */
export async function resolveUsableKey(kms: KMSClient, reference: string): Promise<string> {
  parseKeyReference(reference);
  let metadata: KeyMetadata | undefined;
  try {
    metadata = (await kms.send(new DescribeKeyCommand({ KeyId: reference }))).KeyMetadata;
  } catch (error) {
    if (errorName(error) === 'NotFoundException') {
      throw new KeyUnusableError(`KMS key ${reference} not found`, { cause: error });
    }
    throw classifyAwsError(error, `cannot describe KMS key ${reference}`);
  }
  if (!metadata?.Arn) throw new KeyUnusableError(`KMS key ${reference} not found`);
  if (metadata.KeyState !== 'Enabled') {
    throw new KeyUnusableError(`KMS key ${metadata.Arn} is ${metadata.KeyState ?? 'not enabled'}`);
  }
  if (metadata.KeyUsage !== 'ENCRYPT_DECRYPT' || metadata.KeySpec !== 'SYMMETRIC_DEFAULT') {
    throw new KeyUnusableError(
      `KMS key ${metadata.Arn} is ${metadata.KeySpec}/${metadata.KeyUsage}; a symmetric encryption key is needed`,
    );
  }
  return metadata.Arn;
}

/** A fresh 256-bit data key under `keyArn`, bound to `encryptionContext`. */
export async function generateDataKey(
  kms: KMSClient,
  keyArn: string,
  encryptionContext: Record<string, string>,
): Promise<DataKey> {
  try {
    const out = await kms.send(
      new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256', EncryptionContext: encryptionContext }),
    );
    return {
      plaintext: out.Plaintext!,
      wrapped: out.CiphertextBlob!,
      keyArn: out.KeyId ?? keyArn,
      requestId: out.$metadata.requestId,
    };
  } catch (error) {
    throw classifyAwsError(error, `GenerateDataKey under ${keyArn} failed`);
  }
}

/** Unwraps a data key. KMS finds the key from the ciphertext; the context must match exactly. */
export async function decryptDataKey(
  kms: KMSClient,
  wrapped: Uint8Array,
  encryptionContext: Record<string, string>,
): Promise<DataKey> {
  try {
    const out = await kms.send(
      new DecryptCommand({ CiphertextBlob: wrapped, EncryptionContext: encryptionContext }),
    );
    return {
      plaintext: out.Plaintext!,
      wrapped,
      keyArn: out.KeyId ?? '',
      requestId: out.$metadata.requestId,
    };
  } catch (error) {
    throw classifyAwsError(error, 'KMS Decrypt of the data key failed');
  }
}

/** A data key re-wrapped inside KMS: the plaintext key never leaves it. */
export interface ReWrappedKey {
  wrapped: Uint8Array;
  /** The key that wrapped the data key before. */
  sourceKeyArn: string;
  keyArn: string;
  requestId?: string;
}

/**
 * KMS ReEncrypt of an S3EC data key to `toKeyArn`, with the materials description as both source
 * and destination context (DESIGN.md, "Re-wrap"). Needs kms:ReEncryptFrom on the old key and
 * kms:ReEncryptTo on the new one.
 */
export async function reEncryptDataKey(
  kms: KMSClient,
  wrapped: Uint8Array,
  encryptionContext: Record<string, string>,
  fromKeyArn: string,
  toKeyArn: string,
): Promise<ReWrappedKey> {
  try {
    const out = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: wrapped,
        // Naming the source key makes KMS refuse (IncorrectKeyException) a data key that another
        // key wrapped, instead of silently moving it.
        SourceKeyId: fromKeyArn,
        SourceEncryptionContext: encryptionContext,
        DestinationKeyId: toKeyArn,
        DestinationEncryptionContext: encryptionContext,
      }),
    );
    return {
      wrapped: out.CiphertextBlob!,
      sourceKeyArn: out.SourceKeyId ?? '',
      keyArn: out.KeyId ?? toKeyArn,
      requestId: out.$metadata.requestId,
    };
  } catch (error) {
    throw classifyAwsError(error, `KMS ReEncrypt to ${toKeyArn} failed`);
  }
}

/**
 * Which key wraps an envelope's data key, asked of KMS without trusting the object: Decrypt naming
 * `keyArn` succeeds only when that key wrapped it, and answers IncorrectKeyException for another
 * key. The unwrapped data key is zeroed at once. `undecryptable`: KMS refuses the blob or its
 * context (altered metadata). `unusable`: this role may not use the key, or the key is disabled,
 * pending deletion or gone.
 */
export async function wrappingKeyCheck(
  kms: KMSClient,
  wrapped: Uint8Array,
  encryptionContext: Record<string, string>,
  keyArn: string,
): Promise<'match' | 'other-key' | 'undecryptable' | 'unusable'> {
  try {
    const out = await kms.send(
      new DecryptCommand({ CiphertextBlob: wrapped, EncryptionContext: encryptionContext, KeyId: keyArn }),
    );
    out.Plaintext?.fill(0);
    return 'match';
  } catch (error) {
    const name = errorName(error);
    if (name === 'IncorrectKeyException') return 'other-key';
    if (name === 'InvalidCiphertextException') return 'undecryptable';
    if (
      [
        'AccessDeniedException',
        'DisabledException',
        'KMSInvalidStateException',
        'NotFoundException',
      ].includes(name)
    )
      return 'unusable';
    throw classifyAwsError(error, 'KMS Decrypt of the data key failed');
  }
}
