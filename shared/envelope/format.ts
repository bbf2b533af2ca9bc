import { EnvelopeFormatError } from '../errors.js';

/**
 * The Amazon S3 Encryption Client V2 object metadata for the `kms+context` wrapping algorithm
 * (aws-encryption-sdk-specification, s3-encryption/data-format/content-metadata.md). Names are
 * written without S3's `x-amz-meta-` prefix; S3 adds it on the wire.
 */
export const META = {
  wrappedKey: 'x-amz-key-v2',
  iv: 'x-amz-iv',
  cekAlgorithm: 'x-amz-cek-alg',
  tagLength: 'x-amz-tag-len',
  wrapAlgorithm: 'x-amz-wrap-alg',
  materialsDescription: 'x-amz-matdesc',
  plaintextLength: 'x-amz-unencrypted-content-length',
} as const;

/** S3EC V1 wrote the wrapped key under this name; such objects are protected too. */
export const V1_WRAPPED_KEY = 'x-amz-key';

export const CEK_ALGORITHM = 'AES/GCM/NoPadding';
export const WRAP_ALGORITHM = 'kms+context';
export const TAG_LENGTH_BITS = 128;
export const TAG_LENGTH_BYTES = TAG_LENGTH_BITS / 8;
export const IV_LENGTH_BYTES = 12;
/** The encryption-context pair every S3EC V2 kms+context data key carries. */
export const CEK_CONTEXT_KEY = 'aws:x-amz-cek-alg';

export interface EnvelopeMetadata {
  /** KMS CiphertextBlob of the 256-bit data key. */
  wrappedKey: Uint8Array;
  iv: Uint8Array;
  /** The KMS encryption context, stored as the materials description. */
  encryptionContext: Record<string, string>;
  plaintextLength: number;
}

/** The encryption context for a new data key: the S3EC pair plus any custom pairs of the policy. */
export function encryptionContextFor(custom: Record<string, string> = {}): Record<string, string> {
  if (CEK_CONTEXT_KEY in custom) {
    throw new EnvelopeFormatError(`the encryption context key ${CEK_CONTEXT_KEY} is reserved`);
  }
  return { ...custom, [CEK_CONTEXT_KEY]: CEK_ALGORITHM };
}

/** The user-metadata entries that make an object readable by S3EC V2 clients. */
export function toObjectMetadata(envelope: EnvelopeMetadata): Record<string, string> {
  return {
    [META.wrappedKey]: Buffer.from(envelope.wrappedKey).toString('base64'),
    [META.iv]: Buffer.from(envelope.iv).toString('base64'),
    [META.cekAlgorithm]: CEK_ALGORITHM,
    [META.tagLength]: String(TAG_LENGTH_BITS),
    [META.wrapAlgorithm]: WRAP_ALGORITHM,
    [META.materialsDescription]: JSON.stringify(envelope.encryptionContext),
    [META.plaintextLength]: String(envelope.plaintextLength),
  };
}

/** Which client-side envelope, if any, an object's user metadata shows. */
export function envelopeVersion(metadata: Record<string, string> | undefined): 'v2' | 'v1' | undefined {
  if (!metadata) return undefined;
  if (metadata[META.wrappedKey] !== undefined) return 'v2';
  if (metadata[V1_WRAPPED_KEY] !== undefined) return 'v1';
  return undefined;
}

/** True when a metadata name belongs to the S3EC envelope rather than to the user. */
export function isEnvelopeMetadataName(name: string): boolean {
  return (Object.values(META) as string[]).includes(name) || name === V1_WRAPPED_KEY;
}

/**
 * Reads S3EC V2 kms+context metadata, refusing anything this tool could not decrypt exactly as the
 * official clients would: another content or wrapping algorithm, another tag length, a materials
 * description that disagrees with the content algorithm.
 */
export function parseObjectMetadata(metadata: Record<string, string> | undefined): EnvelopeMetadata {
  const m = metadata ?? {};
  const need = (name: string): string => {
    const value = m[name];
    if (value === undefined || value === '') {
      throw new EnvelopeFormatError(`envelope metadata ${name} is missing`);
    }
    return value;
  };
  if (m[META.wrappedKey] === undefined && m[V1_WRAPPED_KEY] !== undefined) {
    throw new EnvelopeFormatError('object uses the S3EC V1 format, which this tool does not decrypt');
  }
  const wrapAlgorithm = need(META.wrapAlgorithm);
  if (wrapAlgorithm !== WRAP_ALGORITHM) {
    throw new EnvelopeFormatError(`unsupported ${META.wrapAlgorithm} "${wrapAlgorithm}"`);
  }
  const cekAlgorithm = need(META.cekAlgorithm);
  if (cekAlgorithm !== CEK_ALGORITHM) {
    throw new EnvelopeFormatError(`unsupported ${META.cekAlgorithm} "${cekAlgorithm}"`);
  }
  const tagLength = need(META.tagLength);
  if (tagLength !== String(TAG_LENGTH_BITS)) {
    throw new EnvelopeFormatError(`unsupported ${META.tagLength} "${tagLength}"`);
  }
  const iv = Buffer.from(need(META.iv), 'base64');
  if (iv.length !== IV_LENGTH_BYTES) {
    throw new EnvelopeFormatError(`${META.iv} must be ${IV_LENGTH_BYTES} bytes, found ${iv.length}`);
  }
  const wrappedKey = Buffer.from(need(META.wrappedKey), 'base64');
  if (wrappedKey.length === 0) throw new EnvelopeFormatError(`${META.wrappedKey} is empty`);
  let encryptionContext: Record<string, string>;
  try {
    const parsed: unknown = JSON.parse(need(META.materialsDescription));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    encryptionContext = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  } catch (cause) {
    if (cause instanceof EnvelopeFormatError) throw cause;
    throw new EnvelopeFormatError(`${META.materialsDescription} is not a JSON object`, { cause });
  }
  // S3EC requires the context to name the content algorithm actually used (kms+context).
  if (encryptionContext[CEK_CONTEXT_KEY] !== cekAlgorithm) {
    throw new EnvelopeFormatError(
      `${META.materialsDescription} ${CEK_CONTEXT_KEY} does not match ${META.cekAlgorithm}`,
    );
  }
  const rawLength = m[META.plaintextLength];
  const plaintextLength = rawLength === undefined ? Number.NaN : Number(rawLength);
  return {
    wrappedKey,
    iv,
    encryptionContext,
    plaintextLength: Number.isSafeInteger(plaintextLength) ? plaintextLength : -1,
  };
}
