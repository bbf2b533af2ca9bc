/**
 * Listing enumeration rate on the local stack (issue 15: "listing with 1, 4, 16 chains"):
 *   bash localstack/with-local-env.sh node --import tsx bench/enumeration.ts [-- --objects N --pollers P --bucket B]
 * Seeds one bucket of N small objects in 16 folders two levels deep (p0/q0/ … p3/q3/), then runs
 * the listing of a backfill with --scan-chains 1, 4 and 16, and the listing as it was before
 * chains (one chain continued by continuation token): the real scan handler serves the SQS scan
 * queue with P pollers (as Lambda would run P scan functions), each run timed from its first
 * message to the run's scanComplete. Encrypt jobs are queued, not processed. Each listing is
 * measured twice: queueing its encrypt jobs (what a run does), and with the encrypt queue's
 * SendMessageBatch answered by an SDK middleware instead of SQS (the listing alone: on a 2-core
 * machine LocalStack's SQS, taking 1,000 messages per page, is the bottleneck either way).
 * Figures, never assertions; the last line is JSON.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { handler as scanHandler } from '../functions/scan/handler.js';
import { handlerRuntime } from '../shared/handler-runtime.js';
import { ensureAuditTrail, ensureQueues, ensureTables } from '../shared/infra/provision.js';
import type { ScanMessage } from '../shared/jobs/messages.js';
import { runMessageFields, startRun } from '../shared/jobs/start-run.js';
import { resolveQueueUrls } from '../shared/queues.js';
import { newRunId, RunStore, runItemKey } from '../shared/runs/run-store.js';
import { listObjectPages } from '../shared/s3/list-objects.js';
import { queueBody } from '../shared/sqs-text.js';
import { pollQueue, type SqsHandler } from '../shared/worker/queue-poller.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '16000' },
    pollers: { type: 'string', default: '16' },
    /** A bucket an earlier run seeded (the same layout): no seeding. */
    bucket: { type: 'string' },
  },
});
const objects = Number(values.objects);
const pollers = Number(values.pollers);
const log = (line: string) => process.stderr.write(`${line}\n`);

// Queues of its own, so no other run's messages (or workers) interfere.
process.env.S3SEAL_QUEUE_PREFIX = `bench-enum-${randomUUID().slice(0, 6)}`;
const { config, clients } = handlerRuntime();
await ensureQueues(clients.sqs, config);
await ensureTables(clients.dynamo, config);
await ensureAuditTrail(clients, config);
const queues = await resolveQueueUrls(clients.sqs, config);
const runs = new RunStore(clients.dynamo, config.ledgerTable);

// "Listing alone": the encrypt queue's batches are acknowledged here, never sent.
let dropJobs = false;
clients.sqs.middlewareStack.add(
  (next) => async (args) => {
    const input = args.input as { QueueUrl?: string; Entries?: Array<{ Id?: string }> };
    if (dropJobs && input.QueueUrl === queues.encrypt && input.Entries) {
      const Successful = input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: '' }));
      return { output: { Successful, Failed: [], $metadata: {} } } as never;
    }
    return next(args);
  },
  { step: 'initialize', name: 'benchDropJobs' },
);

const bucket = values.bucket ?? `bench-enum-${Date.now()}`;
if (!values.bucket) {
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  log(`seeding s3://${bucket}: ${objects} objects in 16 folders`);
  const keys = Array.from(
    { length: objects },
    (_, i) => `p${i % 4}/q${Math.floor(i / 4) % 4}/object-${String(i).padStart(8, '0')}.json`,
  );
  for (let i = 0; i < keys.length; i += 64) {
    await Promise.all(
      keys
        .slice(i, i + 64)
        .map((Key) => clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{}' }))),
    );
  }
}

/** Serves the scan queue with the real handler until the run's scan completes; returns seconds. */
async function timeScan(runId: string, started: number): Promise<number> {
  const stop = new AbortController();
  const workers = Array.from({ length: pollers }, () =>
    pollQueue({
      sqs: clients.sqs,
      queueUrl: queues.scan,
      handler: scanHandler as unknown as SqsHandler,
      functionName: 's3-seal-scan',
      signal: stop.signal,
      waitSeconds: 1,
    }),
  );
  let seconds = Number.NaN;
  for (;;) {
    const run = await runs.get(runId);
    if (run?.scanComplete) {
      seconds = (performance.now() - started) / 1000;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  stop.abort();
  await Promise.all(workers);
  await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: queues.encrypt })).catch(() => undefined);
  return seconds;
}

async function measure(label: string, scanChains: number | 'before') {
  const started = performance.now();
  let runId: string;
  if (scanChains === 'before') {
    // A run's first message as startRun queued it before chains: no chain, continuation tokens.
    const run = await runs.create({
      runId: newRunId(),
      bucket,
      prefix: '',
      mode: 'sse-s3',
      startedAt: new Date().toISOString(),
    });
    const first: ScanMessage = { type: 'scan', ...runMessageFields(run, 'sse-s3'), page: 1 };
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queues.scan, MessageBody: queueBody(first) }));
    runId = run.runId;
  } else {
    runId = (await startRun({ ...clients, runs, queues }, { bucket, prefix: '', mode: 'sse-s3', scanChains }))
      .runId;
  }
  const seconds = await timeScan(runId, started);
  const item = (
    await clients.dynamo.send(new GetCommand({ TableName: config.ledgerTable, Key: runItemKey(runId) }))
  ).Item!;
  const result = {
    label,
    scanChains,
    chains: Number(item.scanChains ?? 1),
    pages: Number(item.pagesScanned),
    discovered: Number(item.discovered),
    seconds: Math.round(seconds * 100) / 100,
    objectsPerSecond: Math.round(Number(item.discovered) / seconds),
  };
  log(
    `  ${label}: ${result.discovered} objects in ${result.seconds}s (${result.chains} chains, ${result.pages} pages)`,
  );
  return result;
}

async function series(title: string) {
  log(title);
  const results = [
    await measure('before chains (1 chain, continuation tokens)', 'before'),
    await measure('--scan-chains 1', 1),
    await measure('--scan-chains 4', 4),
    await measure('--scan-chains 16', 16),
  ];
  const base = results[0]!.objectsPerSecond;
  console.log(`\n${title} (${objects} objects, 16 folders, ${pollers} scan pollers):`);
  console.log('  listing                                        chains  pages  objects/s  vs before');
  for (const r of results) {
    console.log(
      `  ${r.label.padEnd(45)}  ${String(r.chains).padStart(6)}  ${String(r.pages).padStart(5)}  ${String(r.objectsPerSecond).padStart(9)}  ${(r.objectsPerSecond / base).toFixed(2).padStart(8)}x`,
    );
  }
  return results;
}

/**
 * The emulator's own ceiling: the 16 leaf folders' pages listed by the SDK alone, one folder after
 * another and all at once. When all at once is no faster, parallel chains cannot be either.
 */
async function listCeiling() {
  const folders = Array.from({ length: 16 }, (_, i) => `p${i % 4}/q${Math.floor(i / 4)}/`);
  const listFolder = async (prefix: string) => {
    let n = 0;
    for await (const page of listObjectPages(clients.s3, { bucket, prefix })) n += page.objects.length;
    return n;
  };
  let started = performance.now();
  let n = 0;
  for (const folder of folders) n += await listFolder(folder);
  const oneAtATime = Math.round(n / ((performance.now() - started) / 1000));
  started = performance.now();
  n = (await Promise.all(folders.map(listFolder))).reduce((a, b) => a + b, 0);
  const allAtOnce = Math.round(n / ((performance.now() - started) / 1000));
  console.log(
    `\nListObjectsV2 alone, 16 folders: ${oneAtATime} keys/s one at a time, ${allAtOnce} keys/s all at once`,
  );
  return { oneAtATime, allAtOnce };
}

const ceiling = await listCeiling();
const queueing = await series('Enumeration, encrypt jobs queued');
dropJobs = true;
const listingAlone = await series('Enumeration, listing alone (encrypt batches answered locally)');
console.log(
  JSON.stringify({ objects, pollers, scanPageSize: config.scanPageSize, ceiling, queueing, listingAlone }),
);
