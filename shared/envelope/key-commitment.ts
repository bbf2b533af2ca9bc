import { hkdfSync, timingSafeEqual } from 'node:crypto';
import { EnvelopeAuthenticationError } from '../errors.js';
import type { EnvelopeV3 } from './format.js';
import { COMMITMENT_LENGTH_BYTES, IV_LENGTH_BYTES, MESSAGE_ID_LENGTH_BYTES } from './s3ec-names.js';

/** ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY, the suite V3 writes (S3EC spec, key-derivation.md). */
export const COMMITTING_SUITE_ID = 0x0073;
const SUITE_ID_BYTES = Buffer.from([COMMITTING_SUITE_ID >> 8, COMMITTING_SUITE_ID & 0xff]);
const DERIVE_KEY_INFO = Buffer.concat([SUITE_ID_BYTES, Buffer.from('DERIVEKEY', 'utf8')]);
const COMMIT_KEY_INFO = Buffer.concat([SUITE_ID_BYTES, Buffer.from('COMMITKEY', 'utf8')]);

/**
 * The suite's content IV is twelve 0x01 bytes: every object has its own derived key (the message
 * id is random), so a fixed IV never repeats under one key.
 */
export const V3_CONTENT_IV: Readonly<Buffer> = Buffer.alloc(IV_LENGTH_BYTES, 0x01);
/** The content's AAD is the suite id as two big-endian bytes. */
export const V3_CONTENT_AAD: Readonly<Buffer> = SUITE_ID_BYTES;

export interface DerivedKeys {
  /** The AES-256-GCM content key. Zero it after use. */
  contentKey: Buffer;
  /** The key commitment stored as `x-amz-d`. */
  commitment: Buffer;
}

/**
 * HKDF-SHA512 with the plaintext data key as input keying material and the message id as salt,
 * expanded with info = suite id || "DERIVEKEY" (32 bytes) and suite id || "COMMITKEY" (28 bytes).
 */
export function deriveV3Keys(dataKey: Uint8Array, messageId: Uint8Array): DerivedKeys {
  if (dataKey.length !== 32) {
    throw new EnvelopeAuthenticationError(`data key must be 32 bytes, got ${dataKey.length}`);
  }
  if (messageId.length !== MESSAGE_ID_LENGTH_BYTES) {
    throw new EnvelopeAuthenticationError(`message id must be ${MESSAGE_ID_LENGTH_BYTES} bytes`);
  }
  return {
    contentKey: Buffer.from(hkdfSync('sha512', dataKey, messageId, DERIVE_KEY_INFO, 32)),
    commitment: Buffer.from(hkdfSync('sha512', dataKey, messageId, COMMIT_KEY_INFO, COMMITMENT_LENGTH_BYTES)),
  };
}

/**
 * Derives the content key of a stored V3 envelope, after checking in constant time that the data
 * key commits to the stored `x-amz-d`: a mismatch means the data key or metadata were swapped, and
 * no byte of the body may be decrypted with it.
 */
export function committedContentKey(dataKey: Uint8Array, envelope: EnvelopeV3): Buffer {
  const { contentKey, commitment } = deriveV3Keys(dataKey, envelope.messageId);
  const stored = Buffer.from(envelope.commitment);
  if (stored.length !== commitment.length || !timingSafeEqual(stored, commitment)) {
    contentKey.fill(0);
    throw new EnvelopeAuthenticationError(
      'key commitment mismatch: the data key does not belong to this object (x-amz-d)',
    );
  }
  return contentKey;
}
