import { pipeline, type Readable } from 'node:stream';
import type { KMSClient } from '@aws-sdk/client-kms';
import { type ChecksumAlgorithm, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decryptDataKey } from '../kms/key-service.js';
import { checksumAlgorithmOf } from '../s3/checksum-algorithm.js';
import { openContent } from './content-cipher.js';
import { type Envelope, parseObjectMetadata } from './format.js';
import { TAG_LENGTH_BYTES } from './s3ec-names.js';

export interface OpenedObject {
  /**
   * Plaintext; fails with an EnvelopeAuthenticationError at the end if the object was altered. Read
   * it with pipeline() or async iteration, which also report a failure that came before they did.
   */
  plaintext: Readable;
  envelope: Envelope;
  /** Plaintext length: the body's length less the GCM tag. */
  plaintextLength: number;
  /** The KMS key that unwrapped the data key. */
  keyArn: string;
  etag: string;
  tagCount: number;
  /** The additional-checksum algorithm the stored object carries (of its ciphertext). */
  checksumAlgorithm?: ChecksumAlgorithm;
}

export interface OpenOptions {
  versionId?: string;
  /** Read only this ETag (a rewrite must decrypt exactly the object it decided on). */
  ifMatch?: string;
}

/**
 * Reads an S3EC V2 or V3 (kms+context) object back to plaintext, as the official clients would.
 * For V3 the key commitment is checked before the first byte is deciphered.
 */
export async function openObject(
  clients: { s3: S3Client; kms: KMSClient },
  bucket: string,
  key: string,
  options: OpenOptions = {},
): Promise<OpenedObject> {
  const got = await clients.s3.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      VersionId: options.versionId,
      IfMatch: options.ifMatch,
    }),
  );
  const body = got.Body as Readable;
  try {
    const envelope = parseObjectMetadata(got.Metadata);
    const dataKey = await decryptDataKey(clients.kms, envelope.wrappedKey, envelope.encryptionContext);
    let decipher: ReturnType<typeof openContent>;
    try {
      decipher = openContent(dataKey.plaintext, envelope);
    } finally {
      dataKey.plaintext.fill(0);
    }
    // The body starts flowing into the decipher now, before the caller reads: a body that fits in
    // the streams' buffers (about 16 KiB a side) is read to its end, and its GCM tag checked, while
    // the caller still awaits something else. pipeline() listens for that failure from the start,
    // so it can never be an unhandled 'error' event (which ends the process); the decipher keeps it
    // as its `errored` state, and whoever pipes or iterates it later receives it.
    pipeline(body, decipher, () => undefined);
    return {
      plaintext: decipher,
      envelope,
      plaintextLength: Math.max(0, (got.ContentLength ?? 0) - TAG_LENGTH_BYTES),
      keyArn: dataKey.keyArn,
      etag: got.ETag ?? '',
      tagCount: got.TagCount ?? 0,
      checksumAlgorithm: checksumAlgorithmOf(got),
    };
  } catch (error) {
    body.destroy();
    throw error;
  }
}

/**
 * Proves an envelope object's data key still unwraps (without reading its body) and, for V3, that
 * it commits to the stored key commitment; returns the key ARN.
 */
export async function checkDataKeyUnwraps(kms: KMSClient, metadata: Record<string, string>): Promise<string> {
  const envelope = parseObjectMetadata(metadata);
  const dataKey = await decryptDataKey(kms, envelope.wrappedKey, envelope.encryptionContext);
  try {
    openContent(dataKey.plaintext, envelope).destroy();
  } finally {
    dataKey.plaintext.fill(0);
  }
  return dataKey.keyArn;
}
