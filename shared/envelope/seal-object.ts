import type { Readable } from 'node:stream';
import type { KMSClient } from '@aws-sdk/client-kms';
import { type ChecksumAlgorithm, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { generateDataKey } from '../kms/key-service.js';
import { checksumAlgorithmOf } from '../s3/checksum-algorithm.js';
import type { ObjectHead } from '../s3/object-head.js';
import { readTagging } from '../s3/object-tags.js';
import type { SseCustomerKey } from '../s3/sse-c-key.js';
import { encryptedLength } from './cipher.js';
import { sealContent } from './content-cipher.js';
import {
  DEFAULT_ENVELOPE_FORMAT,
  type EnvelopeFormat,
  encryptionContextFor,
  toObjectMetadata,
  userMetadataOf,
} from './format.js';

/** The plaintext a seal reads: by default the object's own bytes, GET conditional on its ETag. */
export interface PlaintextSource {
  body: Readable;
  plaintextLength: number;
  /** Tags on the object (S3 returns the count on GET); read again only when there are some. */
  tagCount: number;
  /** The additional-checksum algorithm the object carries, kept on the rewrite. */
  checksumAlgorithm?: ChecksumAlgorithm;
}

export interface SealOptions {
  /** The S3EC format to write (default V3, the key-committing format). */
  format?: EnvelopeFormat;
  /** Objects larger than one part go multipart through lib-storage, in parts of this size. */
  partSizeBytes: number;
  /** Parts buffered at once: memory is about partSize x queueSize whatever the object's size. */
  queueSize?: number;
  /** Where the plaintext comes from (a format upgrade decrypts the old envelope here). */
  openSource?: () => Promise<PlaintextSource>;
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
 * Envelope-encrypts an object in place in the S3EC format (docs/architecture.md, "Envelope
 * formats"): a fresh data key from KMS, the object streamed GET -> AES-256-GCM -> PUT, the wrapped
 * key in the object's metadata. `nonce` is V2's IV or V3's message id, chosen by the caller before
 * its claim so that a crashed attempt's write can be recognised.
 *
 * Safety: the GET and the PUT (or CompleteMultipartUpload) both carry If-Match with the ETag the
 * caller read, so we encrypt exactly the bytes we decided on and never replace a newer write; a
 * 412 surfaces to the caller as the SUPERSEDED outcome. User metadata, standard headers, tags,
 * storage class, object lock settings and the existing server-side encryption are carried over;
 * S3EC entries of an older envelope are not. The plaintext data key is zeroed as soon as the
 * cipher holds it and is never logged.
 */
export async function sealObjectInPlace(
  clients: { s3: S3Client; kms: KMSClient },
  head: ObjectHead,
  keyArn: string,
  nonce: Uint8Array,
  options: SealOptions,
): Promise<SealResult> {
  const { s3, kms } = clients;
  const format = options.format ?? DEFAULT_ENVELOPE_FORMAT;
  const encryptionContext = encryptionContextFor(format);
  const source = await (
    options.openSource ?? (() => openPlaintext(s3, head, options.sourceSseCustomerKey))
  )();
  let sealed: ReturnType<typeof sealContent>;
  let dataKey: Awaited<ReturnType<typeof generateDataKey>>;
  try {
    dataKey = await generateDataKey(kms, keyArn, encryptionContext);
    try {
      sealed = sealContent(dataKey.plaintext, {
        format,
        wrappedKey: dataKey.wrapped,
        encryptionContext,
        nonce,
        plaintextLength: source.plaintextLength,
      });
    } finally {
      dataKey.plaintext.fill(0);
    }
    await options.afterDataKey?.();
  } catch (error) {
    source.body.destroy();
    throw error;
  }
  const { cipher, envelope } = sealed;
  const body = source.body;
  try {
    const tagging =
      source.tagCount > 0 ? await readTagging(s3, head.bucket, head.key, head.versionId) : undefined;
    body.on('error', (error) => cipher.destroy(error));
    body.pipe(cipher);
    const upload = new Upload({
      client: s3,
      queueSize: options.queueSize ?? 4,
      partSize: options.partSizeBytes,
      leavePartsOnError: false,
      params: {
        Bucket: head.bucket,
        Key: head.key,
        Body: cipher,
        ContentLength: encryptedLength(source.plaintextLength),
        IfMatch: head.etag,
        // The owner chose this checksum algorithm (say SHA-256 for an integrity policy); S3 would
        // otherwise record the SDK's default (CRC32) for the new bytes.
        ChecksumAlgorithm: source.checksumAlgorithm,
        Metadata: { ...userMetadataOf(head.metadata), ...toObjectMetadata(envelope) },
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
    body.destroy();
    cipher.destroy();
  }
}

/** The object's bytes as they are, exactly the version whose ETag was read. */
async function openPlaintext(
  s3: S3Client,
  head: ObjectHead,
  customerKey: SseCustomerKey | undefined,
): Promise<PlaintextSource> {
  const got = await s3.send(
    new GetObjectCommand({
      Bucket: head.bucket,
      Key: head.key,
      IfMatch: head.etag,
      VersionId: head.versionId,
      ChecksumMode: 'ENABLED',
      ...customerKey?.params(),
    }),
  );
  return {
    body: got.Body as Readable,
    plaintextLength: head.size,
    tagCount: got.TagCount ?? 0,
    checksumAlgorithm: checksumAlgorithmOf(got),
  };
}
