import { createDecipheriv, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { openContent, sealContent } from '../../../../shared/envelope/content-cipher.js';
import type { EnvelopeV3 } from '../../../../shared/envelope/format.js';
import { encryptionContextFor } from '../../../../shared/envelope/format.js';
import { deriveV3Keys } from '../../../../shared/envelope/key-commitment.js';
import { EnvelopeAuthenticationError } from '../../../../shared/errors.js';

// Known answers for ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY key derivation, from the official Amazon
// S3 Encryption Client for Go v4's key-derivation tests (TestDeriveKeys_KnownAnswerTests).
const KNOWN_ANSWERS = [
  {
    dataKey: '80d90dc4cc7e77d8a6332efa44eba56230a7fe7b89af37d1e501ab2e07c0a163',
    messageId: 'b8ea76bed24c7b85382a148cb9dcd1cfdfb765f55ded4dfa6e0c4c79',
    contentKey: '6dd14f546cc006e639126e83f5d4d1b118576bb5df97f38c6fb3a1db87bbc338',
    commitment: 'f89818bc0a346d3a3426b68e9509b6b2ae5fe1f904aa329fb73625db',
  },
  {
    dataKey: '501afb8227d22e75e68010414b8abdaf3064c081e8e922dafef4992036394d60',
    messageId: '61a00b4981a5aacfd136c55cb726e32d2a547dc7600a7d4675c69127',
    contentKey: 'e14786a714748d1d2c3a4a6816dec56ddf1881bbeabb4f39420ffb9f63700b2f',
    commitment: '5c1e73e47f6fe3a70d6d094283aceaa76d2975feb829212d88f0afc1',
  },
];

describe('V3 key derivation (key-derivation.md, "HKDF Operation")', () => {
  it.each(KNOWN_ANSWERS)('derives the known content key and commitment for $messageId', (vector) => {
    const derived = deriveV3Keys(Buffer.from(vector.dataKey, 'hex'), Buffer.from(vector.messageId, 'hex'));
    expect(derived.contentKey.toString('hex')).toBe(vector.contentKey);
    expect(derived.commitment.toString('hex')).toBe(vector.commitment);
  });

  it('refuses a message id of the wrong length', () => {
    expect(() => deriveV3Keys(randomBytes(32), randomBytes(12))).toThrow(EnvelopeAuthenticationError);
  });
});

async function seal(dataKey: Buffer, messageId: Buffer, plaintext: Buffer) {
  const { envelope, cipher } = sealContent(dataKey, {
    format: 'v3',
    wrappedKey: Buffer.from('wrapped'),
    encryptionContext: encryptionContextFor('v3'),
    nonce: messageId,
    plaintextLength: plaintext.length,
  });
  return { envelope: envelope as EnvelopeV3, body: await buffer(Readable.from([plaintext]).pipe(cipher)) };
}

describe('V3 content encryption (encryption.md, key-derivation.md)', () => {
  const dataKey = Buffer.from(KNOWN_ANSWERS[0]!.dataKey, 'hex');
  const messageId = Buffer.from(KNOWN_ANSWERS[0]!.messageId, 'hex');
  const plaintext = Buffer.from('the quick brown fox jumps over the lazy dog');

  it('is AES-256-GCM under the derived key, IV twelve 0x01 bytes, AAD the suite id 0x0073', async () => {
    const { envelope, body } = await seal(dataKey, messageId, plaintext);
    expect(Buffer.from(envelope.commitment).toString('hex')).toBe(KNOWN_ANSWERS[0]!.commitment);
    // Decrypt independently with node:crypto and the spec's parameters.
    const decipher = createDecipheriv(
      'aes-256-gcm',
      Buffer.from(KNOWN_ANSWERS[0]!.contentKey, 'hex'),
      Buffer.alloc(12, 0x01),
    );
    decipher.setAAD(Buffer.from([0x00, 0x73]));
    decipher.setAuthTag(body.subarray(body.length - 16));
    const opened = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
    expect(opened).toEqual(plaintext);
    expect(body.length).toBe(plaintext.length + 16);
  });

  it('round-trips through openContent', async () => {
    const { envelope, body } = await seal(dataKey, messageId, plaintext);
    const out = await buffer(Readable.from([body]).pipe(openContent(dataKey, envelope)));
    expect(out).toEqual(plaintext);
  });

  it('refuses a data key that does not commit to x-amz-d before deciphering a byte', async () => {
    const { envelope } = await seal(dataKey, messageId, plaintext);
    expect(() => openContent(randomBytes(32), envelope)).toThrow(/key commitment mismatch/);
    const altered = { ...envelope, commitment: Buffer.alloc(28, 0) };
    expect(() => openContent(dataKey, altered)).toThrow(EnvelopeAuthenticationError);
  });

  it('fails authentication when the AAD-bound body is altered', async () => {
    const { envelope, body } = await seal(dataKey, messageId, plaintext);
    body[3] = (body[3] ?? 0) ^ 1;
    await expect(buffer(Readable.from([body]).pipe(openContent(dataKey, envelope)))).rejects.toThrow(
      EnvelopeAuthenticationError,
    );
  });
});
