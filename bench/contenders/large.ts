/**
 * One large object envelope-encrypted in place (streamed GET -> AES-256-GCM -> multipart PUT),
 * beside two ceilings: Node's own AES-256-GCM over the same number of bytes in this process, and
 * the same streamed copy without the cipher (what the storage endpoint allows).
 *   node --import tsx bench/contenders/large.ts BUCKET KEY OBJECT_KEY_ARN
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MESSAGE_ID_LENGTH_BYTES } from '../../shared/envelope/format.js';
import { sealObjectInPlace } from '../../shared/envelope/seal-object.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { exitAfterOutput } from '../../shared/process-output.js';
import { headObject } from '../../shared/s3/object-head.js';
import { peakRssMb } from '../request-counter.js';

const [bucket, key, keyArn] = process.argv.slice(2);
const { config, clients } = handlerRuntime();
const head = (await headObject(clients.s3, bucket!, key!))!;
const mb = head.size / 1024 / 1024;

let t = performance.now();
// V3 (the default format) takes a 28-byte message id as its nonce, where V2 took a 12-byte IV.
const sealed = await sealObjectInPlace(clients, head, keyArn!, randomBytes(MESSAGE_ID_LENGTH_BYTES), {
  partSizeBytes: config.multipartThresholdBytes,
});
const sealSeconds = (performance.now() - t) / 1000;
// Peak RSS of the envelope pass alone, read before the ceiling loop allocates its own buffers.
const sealPeakRss = peakRssMb();

// The transport ceiling: the same streamed GET -> multipart PUT with no cipher, to another key.
// On the local stack this, not AES-GCM, is what bounds the envelope pass.
t = performance.now();
const got = await clients.s3.send(new GetObjectCommand({ Bucket: bucket!, Key: key! }));
await new Upload({
  client: clients.s3,
  queueSize: 4,
  partSize: config.multipartThresholdBytes,
  params: { Bucket: bucket!, Key: `${key}.transport-copy`, Body: got.Body as Readable },
}).done();
const transportSeconds = (performance.now() - t) / 1000;

// The ceiling: AES-256-GCM over the same byte count, 1 MiB at a time, no I/O.
const chunk = randomBytes(1024 * 1024);
const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
t = performance.now();
for (let done = 0; done < head.size; done += chunk.length) cipher.update(chunk);
cipher.final();
const aesSeconds = (performance.now() - t) / 1000;

console.log(
  JSON.stringify({
    bytes: head.size,
    etag_after: sealed.etag,
    large_mb_per_s: mb / sealSeconds,
    aes_ceiling_mb_per_s: mb / aesSeconds,
    transport_mb_per_s: mb / transportSeconds,
    large_peak_rss_mb: sealPeakRss,
    part_size_mb: config.multipartThresholdBytes / 1024 / 1024,
  }),
);
await exitAfterOutput(0);
