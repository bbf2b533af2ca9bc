import type { Readable } from 'node:stream';
import type { KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decryptDataKey } from '../kms/key-service.js';
import { createDecryptStream } from './cipher.js';
import { type EnvelopeMetadata, parseObjectMetadata } from './format.js';

export interface OpenedObject {
  /** Plaintext; emits an EnvelopeAuthenticationError at the end if the object was altered. */
  plaintext: Readable;
  envelope: EnvelopeMetadata;
  /** The KMS key that unwrapped the data key. */
  keyArn: string;
  etag: string;
}

/** Reads an S3EC V2 (kms+context) object back to plaintext, as the official S3EC clients would. */
export async function openObject(
  clients: { s3: S3Client; kms: KMSClient },
  bucket: string,
  key: string,
  versionId?: string,
): Promise<OpenedObject> {
  const got = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const body = got.Body as Readable;
  try {
    const envelope = parseObjectMetadata(got.Metadata);
    const dataKey = await decryptDataKey(clients.kms, envelope.wrappedKey, envelope.encryptionContext);
    let decipher: ReturnType<typeof createDecryptStream>;
    try {
      decipher = createDecryptStream(dataKey.plaintext, envelope.iv);
    } finally {
      dataKey.plaintext.fill(0);
    }
    body.on('error', (error) => decipher.destroy(error));
    return { plaintext: body.pipe(decipher), envelope, keyArn: dataKey.keyArn, etag: got.ETag ?? '' };
  } catch (error) {
    body.destroy();
    throw error;
  }
}

/** Proves an envelope object's data key still unwraps (without reading its body); returns the key ARN. */
export async function checkDataKeyUnwraps(kms: KMSClient, metadata: Record<string, string>): Promise<string> {
  const envelope = parseObjectMetadata(metadata);
  const dataKey = await decryptDataKey(kms, envelope.wrappedKey, envelope.encryptionContext);
  dataKey.plaintext.fill(0);
  return dataKey.keyArn;
}
