import { randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import {
  GetObjectCommand,
  PutObjectCommand,
  type PutObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { sealContent } from '../../shared/envelope/content-cipher.js';
import {
  type EnvelopeFormat,
  encryptionContextFor,
  IV_LENGTH_BYTES,
  MESSAGE_ID_LENGTH_BYTES,
  toObjectMetadata,
} from '../../shared/envelope/format.js';
import { generateDataKey } from '../../shared/kms/key-service.js';

/** Writes a genuine S3EC envelope object, as a client-side-encrypting application would. */
export async function putEnvelopeObject(
  clients: { s3: S3Client; kms: KMSClient },
  input: {
    bucket: string;
    key: string;
    body: Buffer;
    keyArn: string;
    format: EnvelopeFormat;
    metadata?: Record<string, string>;
    /** Custom encryption-context pairs besides the S3EC one (an application's own, say a department). */
    context?: Record<string, string>;
    /** A server-side layer as well (a bucket's default SSE-KMS key under an application's S3EC objects). */
    serverSide?: { ServerSideEncryption: 'aws:kms' | 'aws:kms:dsse'; SSEKMSKeyId: string };
  },
): Promise<PutObjectCommandOutput> {
  const encryptionContext = encryptionContextFor(input.format, input.context);
  const dataKey = await generateDataKey(clients.kms, input.keyArn, encryptionContext);
  const nonce = randomBytes(input.format === 'v3' ? MESSAGE_ID_LENGTH_BYTES : IV_LENGTH_BYTES);
  const { envelope, cipher } = sealContent(dataKey.plaintext, {
    format: input.format,
    wrappedKey: dataKey.wrapped,
    encryptionContext,
    nonce,
    plaintextLength: input.body.length,
  });
  dataKey.plaintext.fill(0);
  const ciphertext = Buffer.concat(await transformAll(cipher, input.body));
  return clients.s3.send(
    new PutObjectCommand({
      Bucket: input.bucket,
      Key: input.key,
      Body: ciphertext,
      Metadata: { ...input.metadata, ...toObjectMetadata(envelope) },
      ...input.serverSide,
    }),
  );
}

/**
 * Flips one ciphertext byte of a stored envelope object (the first one, or the one at `offset`), as
 * bit rot or a careless writer would: the metadata stays, so only GCM authentication can tell.
 * Returns the new ETag.
 */
export async function flipCiphertextByte(
  s3: S3Client,
  bucket: string,
  key: string,
  offset = 0,
): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await got.Body!.transformToByteArray());
  body[offset] = body[offset]! ^ 0x01;
  const put = await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: got.Metadata }),
  );
  return put.ETag!;
}

/** Runs `input` through a transform stream and collects everything it emits. */
function transformAll(stream: NodeJS.ReadWriteStream, input: Buffer): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(chunks));
    stream.on('error', reject);
    stream.end(input);
  });
}
