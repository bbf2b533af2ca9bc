import type { Readable } from 'node:stream';
import type { KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { generateDataKey } from '../kms/key-service.js';
import type { ObjectHead } from '../s3/object-head.js';
import { readTagging } from '../s3/object-tags.js';
import type { SseCustomerKey } from '../s3/sse-c-key.js';
import { createEncryptStream, encryptedLength } from './cipher.js';
import { encryptionContextFor, toObjectMetadata } from './format.js';

export interface SealOptions {
  /** Objects larger than one part go multipart through lib-storage, in parts of this size. */
  partSizeBytes: number;
  /** Parts buffered at once: memory is about partSize x queueSize whatever the object's size. */
  queueSize?: number;
  /** Called once the data key exists and before any byte is written (fault injection, tests). */
  afterDataKey?: () => Promise<void> | void;
  /** The source is SSE-C: the GET names this customer key (the new object is not SSE-C). */
  sourceSseCustomerKey?: SseCustomerKey;
}

export interface SealResult {
  etag: string;
  versionId?: string;
  keyArn: string;
  kmsRequestId?: string;
}

/**
 * Envelope-encrypts an object in place in the S3EC V2 format: a fresh data key from KMS, the
 * object streamed GET -> AES-256-GCM -> PUT, the wrapped key in the object's metadata.
 *
 * Safety: the GET and the PUT (or CompleteMultipartUpload) both carry If-Match with the ETag the
 * caller read, so we encrypt exactly the bytes we decided on and never replace a newer write; a
 * 412 surfaces to the caller as the SUPERSEDED outcome. User metadata, standard headers, tags,
 * storage class, object lock settings and the existing server-side encryption are carried over.
 * The plaintext data key is zeroed as soon as the cipher holds it and is never logged.
 */
export async function sealObjectInPlace(
  clients: { s3: S3Client; kms: KMSClient },
  head: ObjectHead,
  keyArn: string,
  iv: Uint8Array,
  options: SealOptions,
): Promise<SealResult> {
  const { s3, kms } = clients;
  const encryptionContext = encryptionContextFor();
  const dataKey = await generateDataKey(kms, keyArn, encryptionContext);
  let cipher: ReturnType<typeof createEncryptStream>;
  try {
    cipher = createEncryptStream(dataKey.plaintext, iv);
  } finally {
    dataKey.plaintext.fill(0);
  }
  await options.afterDataKey?.();

  const got = await s3.send(
    new GetObjectCommand({
      Bucket: head.bucket,
      Key: head.key,
      IfMatch: head.etag,
      VersionId: head.versionId,
      ...options.sourceSseCustomerKey?.params(),
    }),
  );
  const source = got.Body as Readable;
  try {
    const tagging =
      (got.TagCount ?? 0) > 0 ? await readTagging(s3, head.bucket, head.key, head.versionId) : undefined;
    source.on('error', (error) => cipher.destroy(error));
    source.pipe(cipher);
    const upload = new Upload({
      client: s3,
      queueSize: options.queueSize ?? 4,
      partSize: options.partSizeBytes,
      leavePartsOnError: false,
      params: {
        Bucket: head.bucket,
        Key: head.key,
        Body: cipher,
        ContentLength: encryptedLength(head.size),
        IfMatch: head.etag,
        Metadata: {
          ...head.metadata,
          ...toObjectMetadata({
            wrappedKey: dataKey.wrapped,
            iv,
            encryptionContext,
            plaintextLength: head.size,
          }),
        },
        Tagging: tagging,
        ...head.headers,
        ServerSideEncryption: head.serverSideEncryption as 'AES256' | 'aws:kms' | undefined,
        SSEKMSKeyId: head.serverSideEncryption?.startsWith('aws:kms') ? head.kmsKeyArn : undefined,
        BucketKeyEnabled: head.serverSideEncryption?.startsWith('aws:kms')
          ? head.bucketKeyEnabled
          : undefined,
      },
    });
    const out = await upload.done();
    return {
      etag: out.ETag ?? '',
      versionId: out.VersionId,
      keyArn: dataKey.keyArn,
      kmsRequestId: dataKey.requestId,
    };
  } finally {
    source.destroy();
    cipher.destroy();
  }
}
