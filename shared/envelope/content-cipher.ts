import type { Transform } from 'node:stream';
import { createDecryptStream, createEncryptStream } from './cipher.js';
import type { Envelope, EnvelopeFormat } from './format.js';
import { committedContentKey, deriveV3Keys, V3_CONTENT_AAD, V3_CONTENT_IV } from './key-commitment.js';

/** What a new envelope is made of, besides the data key itself. */
export interface NewEnvelopeInput {
  format: EnvelopeFormat;
  wrappedKey: Uint8Array;
  encryptionContext: Record<string, string>;
  /** V2: the 12-byte IV; V3: the 28-byte message id. Random per object. */
  nonce: Uint8Array;
  plaintextLength: number;
}

/**
 * The envelope metadata and the content cipher for a new object. V2 encrypts with the data key and
 * the IV; V3 derives a content key and commitment from the data key and message id and encrypts
 * with the suite's fixed IV and AAD. The caller zeroes `dataKey`; derived keys are zeroed here.
 */
export function sealContent(
  dataKey: Uint8Array,
  input: NewEnvelopeInput,
): { envelope: Envelope; cipher: Transform } {
  const { format, wrappedKey, encryptionContext, nonce, plaintextLength } = input;
  if (format === 'v2') {
    return {
      envelope: { format, wrappedKey, encryptionContext, iv: nonce, plaintextLength },
      cipher: createEncryptStream(dataKey, nonce),
    };
  }
  const { contentKey, commitment } = deriveV3Keys(dataKey, nonce);
  try {
    return {
      envelope: { format, wrappedKey, encryptionContext, messageId: nonce, commitment },
      cipher: createEncryptStream(contentKey, V3_CONTENT_IV, V3_CONTENT_AAD),
    };
  } finally {
    contentKey.fill(0);
  }
}

/**
 * The content decipher for a stored envelope. For V3 the key commitment is verified first, so a
 * swapped data key fails here, before any plaintext exists.
 */
export function openContent(dataKey: Uint8Array, envelope: Envelope): Transform {
  if (envelope.format === 'v2') return createDecryptStream(dataKey, envelope.iv);
  const contentKey = committedContentKey(dataKey, envelope);
  try {
    return createDecryptStream(contentKey, V3_CONTENT_IV, V3_CONTENT_AAD);
  } finally {
    contentKey.fill(0);
  }
}
