import { EnvelopeFormatError, UnsupportedEnvelopeError } from '../errors.js';
import type { EnvelopeV2 } from './envelope-types.js';
import { decodeBase64, parseContext, required } from './metadata-values.js';
import {
  CEK_ALGORITHM_V2,
  CEK_CONTEXT_KEY,
  IV_LENGTH_BYTES,
  META,
  TAG_LENGTH_BITS,
  WRAP_ALGORITHM,
} from './s3ec-names.js';

/** The seven user-metadata entries that make an object readable by S3EC V2 (kms+context) clients. */
export function toV2Metadata(envelope: EnvelopeV2): Record<string, string> {
  return {
    [META.wrappedKey]: Buffer.from(envelope.wrappedKey).toString('base64'),
    [META.iv]: Buffer.from(envelope.iv).toString('base64'),
    [META.cekAlgorithm]: CEK_ALGORITHM_V2,
    [META.tagLength]: String(TAG_LENGTH_BITS),
    [META.wrapAlgorithm]: WRAP_ALGORITHM,
    [META.materialsDescription]: JSON.stringify(envelope.encryptionContext),
    [META.plaintextLength]: String(envelope.plaintextLength),
  };
}

/**
 * Reads S3EC V2 kms+context metadata, refusing anything this tool could not decrypt exactly as the
 * official clients would. Another content or wrapping algorithm is a format s3-seal does not read
 * ({@link UnsupportedEnvelopeError}); a missing or broken entry is malformed ({@link EnvelopeFormatError}).
 */
export function parseV2Metadata(m: Record<string, string>): EnvelopeV2 {
  const wrapAlgorithm = required(m, META.wrapAlgorithm);
  if (wrapAlgorithm !== WRAP_ALGORITHM) {
    throw new UnsupportedEnvelopeError(`S3EC V2 with ${META.wrapAlgorithm} "${wrapAlgorithm}"`);
  }
  const cekAlgorithm = required(m, META.cekAlgorithm);
  if (cekAlgorithm !== CEK_ALGORITHM_V2) {
    throw new UnsupportedEnvelopeError(`S3EC V2 with ${META.cekAlgorithm} "${cekAlgorithm}"`);
  }
  const tagLength = required(m, META.tagLength);
  if (tagLength !== String(TAG_LENGTH_BITS)) {
    throw new UnsupportedEnvelopeError(`S3EC V2 with ${META.tagLength} "${tagLength}"`);
  }
  const iv = decodeBase64(m, META.iv);
  if (iv.length !== IV_LENGTH_BYTES) {
    throw new EnvelopeFormatError(`${META.iv} must be ${IV_LENGTH_BYTES} bytes, found ${iv.length}`);
  }
  const wrappedKey = decodeBase64(m, META.wrappedKey);
  const encryptionContext = parseContext(m, META.materialsDescription);
  // kms+context binds the content algorithm into the data key's context; a mismatch means the
  // metadata was altered (the official clients refuse it too).
  if (encryptionContext[CEK_CONTEXT_KEY] !== cekAlgorithm) {
    throw new EnvelopeFormatError(
      `${META.materialsDescription} ${CEK_CONTEXT_KEY} does not match ${META.cekAlgorithm}`,
    );
  }
  const rawLength = m[META.plaintextLength];
  const plaintextLength = rawLength === undefined ? Number.NaN : Number(rawLength);
  return {
    format: 'v2',
    wrappedKey,
    iv,
    encryptionContext,
    plaintextLength: Number.isSafeInteger(plaintextLength) ? plaintextLength : -1,
  };
}
