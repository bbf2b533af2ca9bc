/**
 * Backfill throughput on the local stack: seeds a fresh bucket per mode, runs the pipeline with
 * local workers, and prints objects/s, requests per object by service (counted by SDK middleware,
 * not estimated) and peak RSS. Figures, not assertions.
 *
 *   npm run bench [-- --objects N --size BYTES --concurrency C]
 */
import { parseArgs } from 'node:util';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { runLocally } from '../cli/local-run.js';
import { seedBucket } from '../cli/seed-bucket.js';
import { handlerRuntime } from '../shared/handler-runtime.js';
import { ensureQueues, ensureTables } from '../shared/infra/provision.js';
import { startRun } from '../shared/jobs/start-run.js';
import type { ProtectionMode } from '../shared/policy.js';
import { resolveQueueUrls } from '../shared/queues.js';
import { RunStore } from '../shared/runs/run-store.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '1000' },
    size: { type: 'string', default: '4096' },
    concurrency: { type: 'string', default: '4' },
  },
});
const objects = Number(values.objects);

const { config, clients } = handlerRuntime();
const requests: Record<string, number> = {};
// Every client's stack has the same shape; typed through S3Client's for brevity.
for (const [service, client] of Object.entries(clients) as Array<[string, S3Client]>) {
  client.middlewareStack.add(
    (next) => async (args) => {
      requests[service] = (requests[service] ?? 0) + 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countRequests' },
  );
}
let peakRss = process.memoryUsage().rss;
setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100).unref();

await ensureQueues(clients.sqs, config);
await ensureTables(clients.dynamo, config);
const queues = await resolveQueueUrls(clients.sqs, config);
const runs = new RunStore(clients.dynamo, config.ledgerTable);
const keyArn = (await clients.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;

const results: Record<string, unknown> = { objects, object_bytes: Number(values.size) };
for (const mode of ['sse-kms', 'envelope'] as ProtectionMode[]) {
  const bucket = `bench-${mode}-${Date.now()}`;
  await seedBucket(clients.s3, bucket, { objects, maxObjectBytes: Number(values.size) });
  for (const key of Object.keys(requests)) delete requests[key];
  const started = performance.now();
  const run = await startRun({ ...clients, runs, queues }, { bucket, prefix: '', mode, key: keyArn });
  const { run: done } = await runLocally({
    sqs: clients.sqs,
    runs,
    queues,
    runId: run.runId,
    concurrency: Number(values.concurrency),
  });
  const seconds = (performance.now() - started) / 1000;
  const perObject = Object.fromEntries(
    Object.entries(requests).map(([s, n]) => [s, +(n / objects).toFixed(2)]),
  );
  console.log(
    `${mode.padEnd(9)} ${done.counts.encrypted} objects in ${seconds.toFixed(1)} s = ${(done.counts.encrypted / seconds).toFixed(1)} objects/s; requests per object ${JSON.stringify(perObject)}`,
  );
  results[`${mode.replace('-', '')}_ops_per_s`] = +(done.counts.encrypted / seconds).toFixed(1);
  results[`requests_per_object_${mode.replace('-', '')}`] = perObject;
}
results.peak_rss_mb = +(peakRss / 1024 / 1024).toFixed(1);
console.log(`peak RSS ${results.peak_rss_mb} MiB (includes both runs and the seeding)`);
console.log(JSON.stringify(results));
process.exit(0);
