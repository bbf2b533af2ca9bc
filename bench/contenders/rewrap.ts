/**
 * s3-seal's re-wrap, exactly as `s3-seal rewrap --local` runs it: a bucket is first protected under
 * key A by a backfill (not timed, not counted), then re-wrapped to key B from its manifests (rewrap
 * chunks on the rewrap queue, local pollers): an SSE-KMS object by a
 * conditional copy in place (LocalStack has no UpdateObjectEncryption), an envelope by KMS
 * ReEncrypt and a metadata-only copy.
 *   node --import tsx bench/contenders/rewrap.ts BUCKET MODE KEY_A KEY_B CONCURRENCY
 */
import { runLocally } from '../../cli/local-run.js';
import { fixMembership } from '../../shared/chunks/listing-record.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { collectJobTimings, jobTimings, percentile } from '../../shared/job-timings.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { exitAfterOutput } from '../../shared/process-output.js';
import { planRewrap } from '../../shared/rewrap/plan-rewrap.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { countRequests, peakRssMb, perObject } from '../request-counter.js';

const [bucket, mode, keyA, keyB, concurrencyArg] = process.argv.slice(2);
const { config, clients, workQueues } = handlerRuntime();
const work = await workQueues();
const runs = new RunStore(clients.dynamo, config.ledgerTable);
const concurrency = Number(concurrencyArg);

const backfill = await startRun(
  { ...clients, runs, queues: work },
  { bucket: bucket!, prefix: '', mode: mode!, key: keyA },
);
const protectedRun = await runLocally({
  sqs: clients.sqs,
  runs,
  queues: work,
  runId: backfill.runId,
  mode: backfill.mode,
  concurrency,
});
process.stderr.write(
  `rewrap bench: ${protectedRun.run.counts.encrypted} objects under A (${mode}); re-wrapping to B\n`,
);

collectJobTimings();
// Chunk logs of the re-wrap go to the audit bucket: counted apart too (request-counter.ts).
const counts = countRequests(clients as unknown as Record<string, unknown>, {
  auditBucket: process.env.S3SEAL_AUDIT_BUCKET ?? 's3-seal-audit-trail',
});
const started = performance.now();
const run = await planRewrap(
  {
    dynamo: clients.dynamo,
    sqs: clients.sqs,
    s3: clients.s3,
    kms: clients.kms,
    runs,
    ledgerTable: config.ledgerTable,
    scanQueueUrl: work.scan,
    queues: work,
    location: config.auditLocation,
    fixMembership,
    largeObjectBytes: config.largeObjectBytes,
  },
  { bucket, prefix: '', fromKeyArn: keyA!, toKeyArn: keyB!, trigger: 'bench' },
);
const { run: done, unsettled } = await runLocally({
  sqs: clients.sqs,
  runs,
  queues: work,
  runId: run.runId,
  mode: run.mode,
  concurrency,
});
const seconds = (performance.now() - started) / 1000;
const latencies = jobTimings();
console.log(
  JSON.stringify({
    objects: done.discovered,
    rewrapped: done.counts.encrypted,
    failed: done.counts.failed + unsettled,
    seconds,
    ops_per_s: done.counts.encrypted / seconds,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    requests_per_object: perObject(counts, done.discovered),
    peak_rss_mb: peakRssMb(),
  }),
);
await exitAfterOutput(0);
