/**
 * The ceiling: the S3 operation the sse-kms pipeline ends in (a conditional SSE-KMS copy in place),
 * issued straight from the SDK with nothing else around it, at a given concurrency.
 *   node --import tsx bench/contenders/ceiling.ts BUCKET KEY_ARN CONCURRENCY
 */
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { createClients } from '../../shared/clients.js';
import { loadConfig } from '../../shared/config.js';
import { percentile } from '../../shared/job-timings.js';
import { exitAfterOutput } from '../../shared/process-output.js';
import { listObjectPages } from '../../shared/s3/list-objects.js';
import { copySource } from '../../shared/s3/object-head.js';
import { countRequests, peakRssMb, perObject } from '../request-counter.js';

const [bucket, keyArn, concurrencyArg] = process.argv.slice(2);
const { s3 } = createClients(loadConfig());
const objects: Array<{ key: string; etag: string }> = [];
for await (const page of listObjectPages(s3, { bucket: bucket! })) {
  for (const o of page.objects) objects.push({ key: o.key, etag: o.etag! });
}
const counts = countRequests({ s3 });
const latencies: number[] = [];
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrencyArg) }, async () => {
    while (next < objects.length) {
      const { key, etag } = objects[next++]!;
      const t = performance.now();
      await s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: key,
          CopySource: copySource(bucket!, key),
          CopySourceIfMatch: etag,
          IfMatch: etag,
          MetadataDirective: 'COPY',
          TaggingDirective: 'COPY',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: keyArn,
          BucketKeyEnabled: true,
        }),
      );
      latencies.push(performance.now() - t);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    objects: objects.length,
    seconds,
    ops_per_s: objects.length / seconds,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    requests_per_object: perObject(counts, objects.length),
    peak_rss_mb: peakRssMb(),
  }),
);
await exitAfterOutput(0);
