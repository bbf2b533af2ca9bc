import { createCipheriv, createDecipheriv, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { EnvelopeAuthenticationError, EnvelopeFormatError } from '../errors.js';
import { IV_LENGTH_BYTES, TAG_LENGTH_BYTES } from './s3ec-names.js';

const ALGORITHM = 'aes-256-gcm';

function checkKeyAndIv(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== 32) throw new EnvelopeFormatError(`data key must be 32 bytes, got ${key.length}`);
  if (iv.length !== IV_LENGTH_BYTES) throw new EnvelopeFormatError(`IV must be ${IV_LENGTH_BYTES} bytes`);
}

/** Size of an S3EC (V2 or V3) body for a plaintext of `plaintextLength` bytes: ciphertext then the tag. */
export function encryptedLength(plaintextLength: number): number {
  return plaintextLength + TAG_LENGTH_BYTES;
}

/**
 * AES-256-GCM emitting `ciphertext || tag` as S3EC stores it (V2: no AAD; V3: the suite id as AAD).
 * Streams: memory stays at one chunk whatever the object size. The caller zeroes `key` once this
 * returns; the cipher has its own copy.
 */
export function createEncryptStream(key: Uint8Array, iv: Uint8Array, aad?: Uint8Array): Transform {
  checkKeyAndIv(key, iv);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH_BYTES });
  if (aad) cipher.setAAD(aad);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, cipher.update(chunk));
    },
    flush(callback) {
      try {
        const tail = cipher.final();
        if (tail.length > 0) this.push(tail);
        this.push(cipher.getAuthTag());
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/**
 * Decrypts `ciphertext || tag`. The tag is the last 16 bytes of the stream, so the transform holds
 * back 16 bytes until the input ends, then authenticates. Plaintext is emitted before the tag is
 * checked (GCM cannot do otherwise while streaming): consumers that must not act on unauthenticated
 * bytes write to a temporary place and keep it only when the stream ends without error.
 */
export function createDecryptStream(key: Uint8Array, iv: Uint8Array, aad?: Uint8Array): Transform {
  checkKeyAndIv(key, iv);
  const decipher: DecipherGCM = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH_BYTES });
  if (aad) decipher.setAAD(aad);
  let held: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const data = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      const releasable = data.length - TAG_LENGTH_BYTES;
      if (releasable <= 0) {
        held = data;
        callback();
        return;
      }
      held = data.subarray(releasable);
      callback(null, decipher.update(data.subarray(0, releasable)));
    },
    flush(callback) {
      if (held.length !== TAG_LENGTH_BYTES) {
        callback(new EnvelopeAuthenticationError('ciphertext is shorter than the GCM tag'));
        return;
      }
      try {
        decipher.setAuthTag(held);
        const tail = decipher.final();
        if (tail.length > 0) this.push(tail);
        callback();
      } catch (cause) {
        callback(
          new EnvelopeAuthenticationError('GCM authentication failed: the object or its key was altered', {
            cause,
          }),
        );
      }
    },
  });
}
