import { pipeline, type Readable } from 'node:stream';
import type { KMSClient } from '@aws-sdk/client-kms';
import {
  type ChecksumAlgorithm,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { generateDataKey } from '../kms/key-service.js';
import { checksumAlgorithmOf } from '../s3/checksum-algorithm.js';
import { abortUpload, type MultipartTracker, UploadTakenOverError } from '../s3/multipart-tracker.js';
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
  /**
   * Custom encryption-context pairs the new data key is bound to, besides the S3EC one: an
   * upgrade's old envelope's own pairs, which its readers and key policies may require.
   */
  customContext?: Record<string, string>;
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
  /**
   * Keeps a multipart seal's upload id and progress in the ledger. A GCM stream cannot continue
   * mid-way in a later attempt (its cipher state died with the process), so an upload an earlier
   * attempt left is aborted before this one starts (docs/architecture.md, "Large objects").
   */
  multipart?: MultipartTracker;
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
  const source = await (
    options.openSource ?? (() => openPlaintext(s3, head, options.sourceSseCustomerKey))
  )();
  let sealed: ReturnType<typeof sealContent>;
  let dataKey: Awaited<ReturnType<typeof generateDataKey>>;
  try {
    const encryptionContext = encryptionContextFor(format, source.customContext);
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
    const contentLength = encryptedLength(source.plaintextLength);
    const tracker = contentLength > options.partSizeBytes ? options.multipart : undefined;
    const leftover = await tracker?.leftover(options.partSizeBytes);
    if (leftover) await abortUpload(s3, head, leftover.uploadId, tracker);
    // pipeline(), not pipe(): a source that already failed (an upgrade's old envelope that did not
    // authenticate, read to its end while the data key was generated) fails the cipher, so the
    // upload fails instead of waiting for bytes that never come.
    pipeline(body, cipher, () => undefined);
    const first = {
      partSizeBytes: options.partSizeBytes,
      totalBytes: contentLength,
      partsDone: 0,
      bytesDone: 0,
    };
    const upload = new Upload({
      client: tracker ? recordingCreation(s3, tracker, head, first) : s3,
      queueSize: options.queueSize ?? 4,
      partSize: options.partSizeBytes,
      leavePartsOnError: false,
      params: {
        Bucket: head.bucket,
        Key: head.key,
        Body: cipher,
        ContentLength: contentLength,
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
    const progress = tracker && trackProgress(upload, tracker, options.partSizeBytes, contentLength);
    let out: Awaited<ReturnType<Upload['done']>>;
    try {
      out = await upload.done();
    } catch (error) {
      const takenOver = progress?.takenOver();
      // lib-storage aborts a failed upload; aborting again is harmless and records it in the ledger.
      if (upload.uploadId && !takenOver) {
        await abortUpload(s3, head, upload.uploadId, tracker).catch(() => undefined);
      }
      throw takenOver ?? error;
    }
    await progress?.settled();
    if (upload.uploadId) await tracker?.ended(upload.uploadId, 'completed').catch(() => undefined);
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

/**
 * Feeds lib-storage's progress events to the tracker, one record at a time (a record that is still
 * being written is followed by the latest progress only). Losing the claim stops the upload.
 */
function trackProgress(upload: Upload, tracker: MultipartTracker, partSizeBytes: number, totalBytes: number) {
  let lostClaim: UploadTakenOverError | undefined;
  let writing: Promise<void> | undefined;
  let latest: number | undefined;
  const write = (bytesDone: number): Promise<void> =>
    tracker
      .progress({
        uploadId: upload.uploadId!,
        partSizeBytes,
        totalBytes,
        partsDone: Math.floor(bytesDone / partSizeBytes),
        bytesDone,
      })
      .catch((error) => {
        if (error instanceof UploadTakenOverError) {
          lostClaim = error;
          void upload.abort();
        }
      })
      .then(() => {
        const next = latest;
        latest = undefined;
        writing = next === undefined ? undefined : write(next);
        return writing;
      });
  upload.on('httpUploadProgress', (progress) => {
    if (!upload.uploadId || lostClaim) return;
    const bytesDone = progress.loaded ?? 0;
    if (writing) latest = bytesDone;
    else writing = write(bytesDone);
  });
  return {
    takenOver: () => lostClaim,
    /** Waits for the records in flight, so none lands after the upload is closed. */
    settled: async () => {
      while (writing) await writing;
    },
  };
}

/**
 * `s3` whose CreateMultipartUpload records the new upload in the ledger before lib-storage sends
 * any part, so no upload of ours exists unrecorded for longer than that one write. An upload that
 * cannot be recorded (the claim was lost) is aborted at once: lib-storage does not know it yet.
 */
function recordingCreation(
  s3: S3Client,
  tracker: MultipartTracker,
  target: { bucket: string; key: string },
  first: Omit<Parameters<MultipartTracker['progress']>[0], 'uploadId'>,
): S3Client {
  return new Proxy(s3, {
    get(client, property, receiver) {
      if (property !== 'send') return Reflect.get(client, property, receiver);
      return async (command: Parameters<S3Client['send']>[0]) => {
        const out = await client.send(command);
        const created = command instanceof CreateMultipartUploadCommand;
        const uploadId = created ? (out as { UploadId?: string }).UploadId : undefined;
        if (uploadId) {
          try {
            await tracker.progress({ uploadId, ...first });
          } catch (error) {
            await abortUpload(client, target, uploadId, undefined).catch(() => undefined);
            throw error;
          }
        }
        return out;
      };
    },
  });
}
