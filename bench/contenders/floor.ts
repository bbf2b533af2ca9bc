/**
 * The floor of a backfill on this stack: the S3 work s3-seal's sse-kms path cannot do without, and
 * nothing else. Per object one HeadObject, then one CopyObject in place conditional on the HEAD's
 * ETag (CopySourceIfMatch and IfMatch, as shared/s3/copy-in-place.ts sends it), SSE-KMS under the
 * key with S3 Bucket Key, metadata and tags copied. The bucket is listed as the workers go (the
 * listing is timed and counted, as s3-seal's is), with exactly CONCURRENCY objects in flight: give
 * it s3-seal's pollers × batch size.
 *   node --import tsx bench/contenders/floor.ts BUCKET KEY_ARN CONCURRENCY
 */
import { CopyObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../../shared/config.js';
import { percentile } from '../../shared/job-timings.js';
import { exitAfterOutput } from '../../shared/process-output.js';
import { listObjectPages } from '../../shared/s3/list-objects.js';
import { copySource } from '../../shared/s3/object-head.js';
import { countRequests, peakRssMb, perObject } from '../request-counter.js';

const [bucket, keyArn, concurrencyArg] = process.argv.slice(2);
// A bare SDK client, as an outside checker would write it: not s3-seal's (shared/clients.ts trims
// the SDK's per-request work), only the same endpoint style and retries.
const s3 = new S3Client({ forcePathStyle: loadConfig().s3ForcePathStyle, maxAttempts: 5 });
const counts = countRequests({ s3 });

/** Keys as the listing returns them; the workers share one generator (its next() calls queue). */
async function* keys(): AsyncGenerator<string> {
  for await (const page of listObjectPages(s3, { bucket: bucket! })) {
    for (const o of page.objects) yield o.key;
  }
}

const listing = keys();
const latencies: number[] = [];
let superseded = 0;
const started = performance.now();
const cpuAtStart = process.cpuUsage();
await Promise.all(
  Array.from({ length: Number(concurrencyArg) }, async () => {
    for (let next = await listing.next(); !next.done; next = await listing.next()) {
      const key = next.value;
      const t = performance.now();
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      try {
        await s3.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: key,
            CopySource: copySource(bucket!, key),
            CopySourceIfMatch: head.ETag,
            IfMatch: head.ETag,
            MetadataDirective: 'COPY',
            TaggingDirective: 'COPY',
            ServerSideEncryption: 'aws:kms',
            SSEKMSKeyId: keyArn,
            BucketKeyEnabled: true,
          }),
        );
      } catch (error) {
        // Nobody else writes the bench's bucket; counted, not hidden, if it ever happens.
        if ((error as { name?: string }).name !== 'PreconditionFailed') throw error;
        superseded += 1;
      }
      latencies.push(performance.now() - t);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
const objects = latencies.length;
console.log(
  JSON.stringify({
    objects,
    superseded,
    seconds,
    ops_per_s: (objects - superseded) / seconds,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    requests_per_object: perObject(counts, objects),
    peak_rss_mb: peakRssMb(),
    cpu_ms_per_object: (cpu.user + cpu.system) / 1000 / objects,
  }),
);
await exitAfterOutput(0);
