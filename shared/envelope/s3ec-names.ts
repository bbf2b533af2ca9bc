/**
 * The Amazon S3 Encryption Client's object-metadata names and constants, for the three format
 * versions (docs/architecture.md, "Envelope formats"; S3EC specification,
 * s3-encryption/data-format/content-metadata.md). Names are written without S3's `x-amz-meta-`
 * prefix; S3 adds it on the wire.
 */

/** V2 (and, for the shared names, V1) metadata names. */
export const META = {
  wrappedKey: 'x-amz-key-v2',
  iv: 'x-amz-iv',
  cekAlgorithm: 'x-amz-cek-alg',
  tagLength: 'x-amz-tag-len',
  wrapAlgorithm: 'x-amz-wrap-alg',
  materialsDescription: 'x-amz-matdesc',
  plaintextLength: 'x-amz-unencrypted-content-length',
} as const;

/** V3's compressed names. */
export const META_V3 = {
  contentCipher: 'x-amz-c',
  wrappedKey: 'x-amz-3',
  wrapAlgorithm: 'x-amz-w',
  encryptionContext: 'x-amz-t',
  materialsDescription: 'x-amz-m',
  keyCommitment: 'x-amz-d',
  messageId: 'x-amz-i',
} as const;

/** S3EC V1 wrote the wrapped key under this name; such objects are protected too. */
export const V1_WRAPPED_KEY = 'x-amz-key';

/** Every name any S3EC version writes: an object carrying one of them is never plaintext. */
export const ALL_S3EC_NAMES: ReadonlySet<string> = new Set<string>([
  ...Object.values(META),
  ...Object.values(META_V3),
  V1_WRAPPED_KEY,
]);

export const CEK_ALGORITHM_V2 = 'AES/GCM/NoPadding';
/** V3 names the suite ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY (0x0073) by its decimal id. */
export const CEK_ALGORITHM_V3 = '115';
export const WRAP_ALGORITHM = 'kms+context';
/** V3 compresses `kms+context` to `12`. */
export const WRAP_ALGORITHM_V3 = '12';
export const TAG_LENGTH_BITS = 128;
export const TAG_LENGTH_BYTES = TAG_LENGTH_BITS / 8;
export const IV_LENGTH_BYTES = 12;
/** V3: the message id is the HKDF salt; 224 bits in the committing suite. */
export const MESSAGE_ID_LENGTH_BYTES = 28;
export const COMMITMENT_LENGTH_BYTES = 28;
/** The encryption-context pair every kms+context data key carries, naming the content algorithm. */
export const CEK_CONTEXT_KEY = 'aws:x-amz-cek-alg';
