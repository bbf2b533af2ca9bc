/**
 * s3-seal's own backfill, exactly as `s3-seal encrypt --local` runs it: scan and encrypt handlers
 * fed by local pollers, chunk items and run counters on DynamoDB Local, chunk logs and listing
 * records in the audit bucket (S3SEAL_AUDIT_BUCKET, S3SEAL_AUDIT_PREFIX). Once the run has closed,
 * what it left is measured by clients the request counter does not see: the ledger table's items
 * (bench/dynamo-footprint.ts; nothing is written per object any more, so the audit table is not
 * read) and the run's objects in the audit bucket (bench/audit-trail-footprint.ts). Run it on a
 * ledger table of its own (S3SEAL_LEDGER_TABLE), as bench/run.ts does.
 *   node --import tsx bench/contenders/s3-seal.ts BUCKET MODE KEY_ARN CONCURRENCY
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { runLocally } from '../../cli/local-run.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { collectJobTimings, jobTimings, percentile } from '../../shared/job-timings.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { exitAfterOutput } from '../../shared/process-output.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { measureAuditTrail } from '../audit-trail-footprint.js';
import { measureFootprint } from '../dynamo-footprint.js';
import { countRequests, peakRssMb, perObject } from '../request-counter.js';

const [bucket, mode, keyArn, concurrencyArg] = process.argv.slice(2);
const { config, clients, workQueues } = handlerRuntime();
const work = await workQueues();
const runs = new RunStore(clients.dynamo, config.ledgerTable);
// The audit location as the handlers read it (chunk-log-types.ts AuditLocation; defaults as config's).
const auditLocation = {
  bucket: process.env.S3SEAL_AUDIT_BUCKET ?? 's3-seal-audit-trail',
  prefix: process.env.S3SEAL_AUDIT_PREFIX ?? 'audit/',
};
collectJobTimings();
const counts = countRequests(clients as unknown as Record<string, unknown>, {
  auditBucket: auditLocation.bucket,
});
const started = performance.now();
const cpuAtStart = process.cpuUsage();
const run = await startRun(
  { ...clients, runs, queues: work },
  { bucket: bucket!, prefix: '', mode: mode!, key: keyArn },
);
const { run: done, unsettled } = await runLocally({
  sqs: clients.sqs,
  runs,
  queues: work,
  runId: run.runId,
  // As `encrypt --local` does (followRunLocally): the run's mode is known, not read again.
  mode: run.mode,
  concurrency: Number(concurrencyArg),
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
const objects = done.discovered;
const latencies = jobTimings();
const rss = peakRssMb();
const footprint = await measureFootprint(new DynamoDBClient({}), { ledger: config.ledgerTable });
const trail = await measureAuditTrail(
  new S3Client({ forcePathStyle: config.s3ForcePathStyle }),
  auditLocation,
  run.runId,
);
const per = (bytes: number) => +(bytes / objects).toFixed(1);
console.log(
  JSON.stringify({
    objects,
    encrypted: done.counts.encrypted,
    failed: done.counts.failed + unsettled,
    seconds,
    ops_per_s: done.counts.encrypted / seconds,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    requests_per_object: perObject(counts, objects),
    peak_rss_mb: rss,
    cpu_ms_per_object: (cpu.user + cpu.system) / 1000 / objects,
    dynamo_left: {
      items_per_object: +(footprint.items / objects).toFixed(3),
      base_bytes_per_object: per(footprint.baseBytes),
      index_bytes_per_object: per(footprint.indexBytes),
      billed_bytes_per_object: per(footprint.billedBytes),
      by_kind: Object.fromEntries(
        Object.entries(footprint.byKind).map(([kind, k]) => [
          kind,
          { items: k.items, bytes_per_object: per(k.bytes) },
        ]),
      ),
    },
    audit_trail_left: {
      objects_per_object: +(trail.objects / objects).toFixed(4),
      bytes_per_object: per(trail.bytes),
      by_kind: Object.fromEntries(
        Object.entries(trail.byKind).map(([kind, k]) => [
          kind,
          { objects: k.objects, bytes_per_object: per(k.bytes) },
        ]),
      ),
    },
  }),
);
await exitAfterOutput(0);
