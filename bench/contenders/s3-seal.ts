/**
 * s3-seal's own backfill, exactly as `s3-seal encrypt --local` runs it: scan and encrypt handlers
 * fed by local pollers, ledger, audit and run counters on DynamoDB Local.
 *   node --import tsx bench/contenders/s3-seal.ts BUCKET MODE KEY_ARN CONCURRENCY
 */
import { runLocally } from '../../cli/local-run.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { collectJobTimings, jobTimings, percentile } from '../../shared/job-timings.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { exitAfterOutput } from '../../shared/process-output.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { countRequests, peakRssMb, perObject } from '../request-counter.js';

const [bucket, mode, keyArn, concurrencyArg] = process.argv.slice(2);
const { config, clients, queues } = handlerRuntime();
const { work } = await queues();
const runs = new RunStore(clients.dynamo, config.ledgerTable);
collectJobTimings();
const counts = countRequests(clients as unknown as Record<string, unknown>);
const started = performance.now();
const run = await startRun(
  { ...clients, runs, queues: work },
  { bucket: bucket!, prefix: '', mode: mode!, key: keyArn },
);
const { run: done, unsettled } = await runLocally({
  sqs: clients.sqs,
  runs,
  queues: work,
  runId: run.runId,
  concurrency: Number(concurrencyArg),
});
const seconds = (performance.now() - started) / 1000;
const objects = done.discovered;
const latencies = jobTimings();
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
    peak_rss_mb: peakRssMb(),
  }),
);
await exitAfterOutput(0);
