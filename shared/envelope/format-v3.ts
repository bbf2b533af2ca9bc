import { EnvelopeFormatError, UnsupportedEnvelopeError } from '../errors.js';
import type { EnvelopeV3 } from './envelope-types.js';
import { decodeBase64, parseContext, required } from './metadata-values.js';
import {
  CEK_ALGORITHM_V3,
  CEK_CONTEXT_KEY,
  COMMITMENT_LENGTH_BYTES,
  MESSAGE_ID_LENGTH_BYTES,
  META_V3,
  WRAP_ALGORITHM_V3,
} from './s3ec-names.js';

/**
 * The six user-metadata entries of the key-committing V3 format with KMS (kms+context) wrapping,
 * as the official clients write them: `x-amz-c`=115, `x-amz-3` wrapped key, `x-amz-w`=12, `x-amz-t`
 * the encryption context, `x-amz-d` the key commitment, `x-amz-i` the message id. V3 carries no
 * plaintext length.
 */
export function toV3Metadata(envelope: EnvelopeV3): Record<string, string> {
  return {
    [META_V3.contentCipher]: CEK_ALGORITHM_V3,
    [META_V3.wrappedKey]: Buffer.from(envelope.wrappedKey).toString('base64'),
    [META_V3.wrapAlgorithm]: WRAP_ALGORITHM_V3,
    [META_V3.encryptionContext]: JSON.stringify(envelope.encryptionContext),
    [META_V3.keyCommitment]: Buffer.from(envelope.commitment).toString('base64'),
    [META_V3.messageId]: Buffer.from(envelope.messageId).toString('base64'),
  };
}

/**
 * Reads V3 metadata kept whole in the object's metadata. The raw-key wrappings (`02` AES/GCM, `22`
 * RSA-OAEP) and any other suite are formats s3-seal does not read ({@link UnsupportedEnvelopeError});
 * a V3 object whose wrapped key lives in an instruction file is one too.
 */
export function parseV3Metadata(m: Record<string, string>): EnvelopeV3 {
  const contentCipher = required(m, META_V3.contentCipher);
  if (contentCipher !== CEK_ALGORITHM_V3) {
    throw new UnsupportedEnvelopeError(`S3EC V3 with ${META_V3.contentCipher} "${contentCipher}"`);
  }
  if (m[META_V3.wrappedKey] === undefined && m[META_V3.wrapAlgorithm] === undefined) {
    throw new UnsupportedEnvelopeError('S3EC V3 with its data key in an instruction file');
  }
  const wrapAlgorithm = required(m, META_V3.wrapAlgorithm);
  if (wrapAlgorithm !== WRAP_ALGORITHM_V3) {
    throw new UnsupportedEnvelopeError(`S3EC V3 with ${META_V3.wrapAlgorithm} "${wrapAlgorithm}"`);
  }
  const wrappedKey = decodeBase64(m, META_V3.wrappedKey);
  const messageId = decodeBase64(m, META_V3.messageId);
  if (messageId.length !== MESSAGE_ID_LENGTH_BYTES) {
    throw new EnvelopeFormatError(
      `${META_V3.messageId} must be ${MESSAGE_ID_LENGTH_BYTES} bytes, found ${messageId.length}`,
    );
  }
  const commitment = decodeBase64(m, META_V3.keyCommitment);
  if (commitment.length !== COMMITMENT_LENGTH_BYTES) {
    throw new EnvelopeFormatError(
      `${META_V3.keyCommitment} must be ${COMMITMENT_LENGTH_BYTES} bytes, found ${commitment.length}`,
    );
  }
  const encryptionContext = parseContext(m, META_V3.encryptionContext);
  if (encryptionContext[CEK_CONTEXT_KEY] !== CEK_ALGORITHM_V3) {
    throw new EnvelopeFormatError(
      `${META_V3.encryptionContext} ${CEK_CONTEXT_KEY} does not match ${META_V3.contentCipher}`,
    );
  }
  return { format: 'v3', wrappedKey, messageId, commitment, encryptionContext };
}
