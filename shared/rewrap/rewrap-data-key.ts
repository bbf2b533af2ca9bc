import type { KMSClient } from '@aws-sdk/client-kms';
import { errorName } from '../aws-errors.js';
import type { Envelope } from '../envelope/format.js';
import { reEncryptDataKey } from '../kms/key-service.js';

/** A data key KMS re-wrapped under the target key, or why no re-wrap was needed or allowed. */
export type DataKeyRewrap =
  | { kind: 'rewrapped'; wrappedKey: string; requestId?: string }
  | { kind: 'settled'; state: 'COMPLIANT' | 'SKIPPED'; reason: string };

/**
 * KMS ReEncrypt of an envelope's wrapped data key from `fromKeyArn` to `toKeyArn`, with the stored
 * encryption context as source and destination context: the plaintext data key never leaves KMS.
 * A data key another key wraps is refused by KMS (IncorrectKeyException, the source key is named):
 * it is already under the target (a duplicate, or a crash after the write), or under some third
 * key that this job must not touch.
 */
export async function rewrapDataKey(
  kms: KMSClient,
  envelope: Envelope,
  fromKeyArn: string,
  toKeyArn: string,
): Promise<DataKeyRewrap> {
  try {
    const out = await reEncryptDataKey(
      kms,
      envelope.wrappedKey,
      envelope.encryptionContext,
      fromKeyArn,
      toKeyArn,
    );
    return {
      kind: 'rewrapped',
      wrappedKey: Buffer.from(out.wrapped).toString('base64'),
      requestId: out.requestId,
    };
  } catch (error) {
    if (!isIncorrectKey(error)) throw error;
    return (await isWrappedUnder(kms, envelope, toKeyArn))
      ? { kind: 'settled', state: 'COMPLIANT', reason: 'already wrapped under the target key' }
      : { kind: 'settled', state: 'SKIPPED', reason: 'wrapped-under-another-key' };
  }
}

/** ReEncrypt to the same key succeeds only if that key wrapped the data key; nothing is kept. */
async function isWrappedUnder(kms: KMSClient, envelope: Envelope, keyArn: string): Promise<boolean> {
  try {
    await reEncryptDataKey(kms, envelope.wrappedKey, envelope.encryptionContext, keyArn, keyArn);
    return true;
  } catch (error) {
    if (isIncorrectKey(error)) return false;
    throw error;
  }
}

/** Whether KMS (behind a classified error's cause) refused the named source key. */
function isIncorrectKey(error: unknown): boolean {
  const cause = error instanceof Error && error.cause ? error.cause : error;
  return errorName(cause) === 'IncorrectKeyException';
}
