/** An S3EC envelope as s3-seal reads and writes it (docs/architecture.md, "Envelope formats"). */
interface EnvelopeBase {
  /** KMS CiphertextBlob of the 256-bit data key. */
  wrappedKey: Uint8Array;
  /** The KMS encryption context (V2 stores it as the materials description). */
  encryptionContext: Record<string, string>;
}

export interface EnvelopeV2 extends EnvelopeBase {
  format: 'v2';
  iv: Uint8Array;
  /** -1 when the metadata does not say. */
  plaintextLength: number;
}

export interface EnvelopeV3 extends EnvelopeBase {
  format: 'v3';
  /** 28 random bytes: the HKDF salt. */
  messageId: Uint8Array;
  /** 28 bytes derived from the data key and message id; checked before any plaintext is released. */
  commitment: Uint8Array;
}

export type Envelope = EnvelopeV2 | EnvelopeV3;
