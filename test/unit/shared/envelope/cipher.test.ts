import { createCipheriv, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import {
  createDecryptStream,
  createEncryptStream,
  encryptedLength,
} from '../../../../shared/envelope/cipher.js';
import { EnvelopeAuthenticationError, EnvelopeFormatError } from '../../../../shared/errors.js';

const key = randomBytes(32);
const iv = randomBytes(12);

/**
 * Feeds `data` in odd-sized chunks (7 bytes for small inputs), so chunk edges fall everywhere,
 * including inside the tag.
 */
function chunked(data: Buffer): Readable {
  const size = data.length > 4096 ? 4099 : 7;
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return Readable.from(chunks);
}

const encrypt = (plaintext: Buffer, k = key, v = iv) =>
  buffer(chunked(plaintext).pipe(createEncryptStream(k, v)));
const decrypt = (ciphertext: Buffer, k = key, v = iv) => {
  const decipher = createDecryptStream(k, v);
  const source = chunked(ciphertext);
  source.pipe(decipher);
  return buffer(decipher);
};

describe('AES-256-GCM streams', () => {
  it.each([0, 1, 15, 16, 17, 1024 * 1024 + 3])('round-trips %i bytes, adding exactly the 16-byte tag', {
    timeout: 30_000,
  }, async (size) => {
    const plaintext = randomBytes(size);
    const ciphertext = await encrypt(plaintext);
    expect(ciphertext.length).toBe(encryptedLength(size));
    expect(await decrypt(ciphertext)).toEqual(plaintext);
  });

  it('produces exactly what one-shot AES-256-GCM gives: ciphertext then tag, no AAD', async () => {
    const plaintext = Buffer.from('known answer for the S3EC body layout');
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    expect(await encrypt(plaintext)).toEqual(expected);
  });

  describe('detects tampering', () => {
    const plaintext = randomBytes(100);
    const flip = (data: Buffer, index: number) => {
      const copy = Buffer.from(data);
      copy[index] = copy[index]! ^ 1;
      return copy;
    };
    it.each([
      ['a flipped ciphertext bit', (c: Buffer) => flip(c, 10), key, iv],
      ['a flipped tag bit', (c: Buffer) => flip(c, c.length - 1), key, iv],
      ['a truncated body', (c: Buffer) => c.subarray(0, c.length - 1), key, iv],
      ['a body shorter than the tag', (c: Buffer) => c.subarray(0, 10), key, iv],
      ['the wrong key', (c: Buffer) => c, randomBytes(32), iv],
      ['the wrong IV', (c: Buffer) => c, key, randomBytes(12)],
    ])('%s', async (_label, alter, k, v) => {
      const ciphertext = alter(await encrypt(plaintext));
      await expect(decrypt(ciphertext, k, v)).rejects.toBeInstanceOf(EnvelopeAuthenticationError);
    });
  });

  it('refuses a key or IV of the wrong length', () => {
    expect(() => createEncryptStream(randomBytes(16), iv)).toThrow(EnvelopeFormatError);
    expect(() => createDecryptStream(key, randomBytes(16))).toThrow(EnvelopeFormatError);
  });
});
