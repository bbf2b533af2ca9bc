/**
 * Benchmarks on the local stack, each contender on a freshly seeded bucket, in one run:
 *   npm run bench [-- --objects N --size BYTES --concurrency C --large BYTES --cost --no-large]
 *                 [-- --only floor,sse-kms]
 *   (contenders: ceiling, aws-cli, floor, sse-kms, envelope, rewrap, large)
 * The run gets queues and tables of its own (prefix `bench-<time>`), each s3-seal backfill its own
 * pair of tables, so what a backfill leaves in DynamoDB can be measured; all are deleted at the end.
 * Prints a table, then one JSON object as the last line. Figures, never assertions.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, DeleteBucketEncryptionCommand } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import { seedBucket } from '../cli/seed-bucket.js';
import { handlerRuntime } from '../shared/handler-runtime.js';
import { ensureQueues, ensureTables } from '../shared/infra/provision.js';
import { exitAfterOutput } from '../shared/process-output.js';
import { ensureSigningKey } from '../shared/transparency/signing-key.js';
import { contender } from './contender-process.js';
import { batchOperationsPerMillion, costPerMillion, PRICES } from './cost-model.js';
import {
  type AuditTrailLeft,
  type DynamoLeft,
  fmt,
  footprintLines,
  services,
  writeUnits,
} from './report-lines.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '5000' },
    size: { type: 'string', default: '4096' },
    concurrency: { type: 'string', default: '4' },
    large: { type: 'string', default: String(1024 ** 3) },
    'no-large': { type: 'boolean', default: false },
    'no-objects': { type: 'boolean', default: false },
    cost: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const CONTENDERS = ['ceiling', 'aws-cli', 'floor', 'sse-kms', 'envelope', 'rewrap', 'large'] as const;
const only = values.only?.split(',').map((name) => name.trim());
const unknown = only?.filter((name) => !(CONTENDERS as readonly string[]).includes(name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(
    `bench: unknown contender(s) ${unknown.join(', ')}; known: ${CONTENDERS.join(', ')}\n`,
  );
  await exitAfterOutput(2);
}
/** Whether a contender runs: all by default, only those named with --only. */
const runs = (name: (typeof CONTENDERS)[number]) => !only || only.includes(name);
const objects = Number(values.objects);
const size = Number(values.size);
const log = (line: string) => process.stderr.write(`${line}\n`);
/**
 * Objects an s3-seal local poller works on at once: a receive's batch (queue-poller.ts asks for
 * ten, SQS's most), all in parallel. The floor keeps pollers × this many objects in flight.
 */
const POLLER_BATCH = 10;

// The stack is shared: the bench's own queues and tables keep other users' messages and items out
// of its counts and its DynamoDB footprint. Children inherit these through the environment.
const stamp = Date.now();
const prefix = `bench-${stamp}`;
// The audit trail (chunk logs, listing records) goes to a bucket of the bench's own: its requests
// are counted apart (request-counter.ts) and what a run leaves there is measured by run id.
Object.assign(process.env, {
  S3SEAL_QUEUE_PREFIX: prefix,
  S3SEAL_LEDGER_TABLE: `${prefix}-ledger`,
  S3SEAL_AUDIT_TABLE: `${prefix}-audit`,
  S3SEAL_AUDIT_BUCKET: `${prefix}-audit-trail`,
  S3SEAL_AUDIT_PREFIX: 'audit/',
});
const { config, clients } = handlerRuntime();
await ensureQueues(clients.sqs, config);
await ensureTables(clients.dynamo, config);
await clients.s3.send(new CreateBucketCommand({ Bucket: process.env.S3SEAL_AUDIT_BUCKET }));
// The key that signs the transparency log's checkpoints, as `setup` makes it.
await ensureSigningKey(clients.kms, config.transparencyLog.keyId);
const tablesMade = [config.ledgerTable, config.auditTable];
const keyArn = (await clients.kms.send(new CreateKeyCommand({ Description: 's3-seal bench' }))).KeyMetadata!
  .Arn!;

async function seeded(label: string, count = objects): Promise<string> {
  const bucket = `bench-${label}-${stamp}`;
  log(`seeding s3://${bucket}: ${count} objects of up to ${size} bytes`);
  await seedBucket(clients.s3, bucket, { objects: count, maxObjectBytes: size, concurrency: 64 });
  return bucket;
}

/** S3 requests LocalStack logged since `since` (ISO, local time), by operation: for the AWS CLI. */
function localstackRequests(since: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of readFileSync('.stack/localstack.log', 'utf8').split('\n')) {
    if (line.slice(0, 23) < since) continue;
    const match = /AWS (s3)\.(\w+) =>/.exec(line);
    if (match) {
      counts[match[1]!] = (counts[match[1]!] ?? 0) + 1;
      counts[`${match[1]}.${match[2]}`] = (counts[`${match[1]}.${match[2]}`] ?? 0) + 1;
    }
  }
  return counts;
}

const isoLocal = () => new Date().toISOString().slice(0, 23);
const result: Record<string, unknown> = {
  objects,
  object_bytes: size,
  machine: `${process.platform} ${process.arch}`,
};
const table: string[][] = [];
/** Buckets seeded ahead of their contender (the sse-kms one, next to the floor's). */
const preSeeded: Record<string, string | undefined> = {};
const requests: Record<string, Record<string, number>> = {};
/** What each s3-seal backfill left in DynamoDB and in its audit bucket after its run closed, by mode. */
const left: Record<string, DynamoLeft> = {};
const trailLeft: Record<string, AuditTrailLeft> = {};

if (!values['no-objects'] && runs('ceiling')) {
  // 1. Ceiling: find the best concurrency on small buckets, then run it on a full one.
  let best = { concurrency: 16, opsPerS: 0 };
  for (const concurrency of [16, 32, 64, 128]) {
    const probe = await contender('ceiling', [
      await seeded(`probe${concurrency}`, 1000),
      keyArn,
      String(concurrency),
    ]);
    log(`ceiling probe: concurrency ${concurrency}: ${fmt(probe.ops_per_s)} objects/s`);
    if ((probe.ops_per_s as number) > best.opsPerS)
      best = { concurrency, opsPerS: probe.ops_per_s as number };
  }
  const ceiling = await contender('ceiling', [await seeded('ceiling'), keyArn, String(best.concurrency)]);
  requests.ceiling = ceiling.requests_per_object as Record<string, number>;
  table.push([
    `ceiling (SDK copy, c=${best.concurrency})`,
    fmt(ceiling.ops_per_s),
    fmt(ceiling.p50_ms),
    fmt(ceiling.p99_ms),
    services(requests.ceiling),
    fmt(ceiling.peak_rss_mb),
  ]);
  result.ceiling_ops_per_s = ceiling.ops_per_s;
}

if (!values['no-objects'] && runs('aws-cli')) {
  // 2. The AWS CLI recipe: copy the bucket onto itself with SSE-KMS.
  const cliBucket = await seeded('cli');
  const since = isoLocal();
  const t = performance.now();
  const cli = spawnSync(
    '.stack/venv/bin/aws',
    [
      '--endpoint-url',
      process.env.AWS_ENDPOINT_URL!,
      's3',
      'cp',
      `s3://${cliBucket}`,
      `s3://${cliBucket}`,
      '--recursive',
      '--sse',
      'aws:kms',
      '--sse-kms-key-id',
      keyArn,
      '--only-show-errors',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const cliSeconds = (performance.now() - t) / 1000;
  if (cli.status !== 0) throw new Error(`aws s3 cp exited ${cli.status}`);
  const cliCounts = localstackRequests(since);
  requests['aws-cli'] = Object.fromEntries(
    Object.entries(cliCounts).map(([k, v]) => [k, +(v / objects).toFixed(3)]),
  );
  table.push([
    'aws-cli (s3 cp --recursive)',
    fmt(objects / cliSeconds),
    '—',
    '—',
    services(requests['aws-cli']),
    '—',
  ]);
  result.cli_ops_per_s = objects / cliSeconds;
}

if (!values['no-objects'] && runs('floor')) {
  // 3. The floor: HEAD + conditional SSE-KMS copy per object, as many in flight as s3-seal's
  // pollers hold. Seeded together with the sse-kms bucket (below), so the two run back to back.
  const inFlight = Number(values.concurrency) * POLLER_BATCH;
  const bucket = await seeded('floor');
  const floorBucket = runs('sse-kms') ? await seeded('sse-kms') : undefined;
  const floor = await contender('floor', [bucket, keyArn, String(inFlight)]);
  if (floor.superseded) log(`warning: ${floor.superseded} floor copies lost their condition`);
  requests.floor = floor.requests_per_object as Record<string, number>;
  table.push([
    `floor (SDK HEAD + conditional copy, c=${inFlight})`,
    fmt(floor.ops_per_s),
    fmt(floor.p50_ms),
    fmt(floor.p99_ms),
    services(requests.floor),
    fmt(floor.peak_rss_mb),
  ]);
  result.floor_ops_per_s = floor.ops_per_s;
  // The contender's own CPU: on a small machine it competes with the local stack for cores.
  result.floor_cpu_ms_per_object = floor.cpu_ms_per_object;
  result.floor_concurrency = inFlight;
  preSeeded['sse-kms'] = floorBucket;
}

if (!values['no-objects']) {
  // 4, 5. s3-seal backfills with local workers, each on tables of its own (its footprint).
  for (const mode of (['sse-kms', 'envelope'] as const).filter(runs)) {
    const tables = {
      S3SEAL_LEDGER_TABLE: `${prefix}-${mode}-ledger`,
      S3SEAL_AUDIT_TABLE: `${prefix}-${mode}-audit`,
    };
    await ensureTables(clients.dynamo, {
      ledgerTable: tables.S3SEAL_LEDGER_TABLE,
      auditTable: tables.S3SEAL_AUDIT_TABLE,
    });
    tablesMade.push(tables.S3SEAL_LEDGER_TABLE, tables.S3SEAL_AUDIT_TABLE);
    const bucket = preSeeded[mode] ?? (await seeded(mode));
    const run = await contender('s3-seal', [bucket, mode, keyArn, values.concurrency!], tables);
    left[mode] = run.dynamo_left as DynamoLeft;
    trailLeft[mode] = run.audit_trail_left as AuditTrailLeft;
    if (run.failed) log(`warning: ${run.failed} objects did not end encrypted in ${mode}`);
    requests[mode] = run.requests_per_object as Record<string, number>;
    table.push([
      `s3-seal ${mode} (c=${values.concurrency}x10)`,
      fmt(run.ops_per_s),
      fmt(run.p50_ms),
      fmt(run.p99_ms),
      `${services(requests[mode])}; DynamoDB write units ${writeUnits(requests[mode])}`,
      fmt(run.peak_rss_mb),
    ]);
    result[`${mode.replace('-', '')}_ops_per_s`] = run.ops_per_s;
    result[`${mode.replace('-', '')}_p50_ms`] = run.p50_ms;
    result[`${mode.replace('-', '')}_cpu_ms_per_object`] = run.cpu_ms_per_object;
  }
  result.requests_per_object = requests;
  result.dynamo_left = left;
  result.audit_trail_left = trailLeft;
}

if (!values['no-objects'] && runs('rewrap')) {
  // 5. Re-wraps from key A to key B (the backfill under A inside the contender is not timed).
  const keyB = (await clients.kms.send(new CreateKeyCommand({ Description: 's3-seal bench B' }))).KeyMetadata!
    .Arn!;
  for (const mode of ['sse-kms', 'envelope'] as const) {
    const name = `rewrap ${mode}`;
    const run = await contender('rewrap', [
      await seeded(`rewrap-${mode}`),
      mode,
      keyArn,
      keyB,
      values.concurrency!,
    ]);
    if (run.failed) log(`warning: ${run.failed} objects were not re-wrapped in ${mode}`);
    requests[name] = run.requests_per_object as Record<string, number>;
    table.push([
      `s3-seal ${name} (c=${values.concurrency}x10)`,
      fmt(run.ops_per_s),
      fmt(run.p50_ms),
      fmt(run.p99_ms),
      `${services(requests[name])}; DynamoDB write units ${writeUnits(requests[name])}`,
      fmt(run.peak_rss_mb),
    ]);
    result[`rewrap_${mode.replace('-', '')}_ops_per_s`] = run.ops_per_s;
    result[`rewrap_${mode.replace('-', '')}_p50_ms`] = run.p50_ms;
  }
  result.requests_per_object = requests;
}

if (!values['no-large'] && runs('large')) {
  const bytes = Number(values.large);
  const bucket = `bench-large-${stamp}`;
  log(`seeding one ${(bytes / 1024 ** 2).toFixed(0)} MiB object`);
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await clients.s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket })).catch(() => undefined);
  const block = Buffer.alloc(8 * 1024 * 1024, 7);
  const body = Readable.from(
    (function* () {
      for (let sent = 0; sent < bytes; sent += block.length)
        yield block.subarray(0, Math.min(block.length, bytes - sent));
    })(),
  );
  await new Upload({
    client: clients.s3,
    params: { Bucket: bucket, Key: 'large.bin', Body: body, ContentLength: bytes },
    partSize: 64 * 1024 * 1024,
  }).done();
  const large = await contender('large', [bucket, 'large.bin', keyArn]);
  Object.assign(result, {
    large_mb_per_s: large.large_mb_per_s,
    aes_ceiling_mb_per_s: large.aes_ceiling_mb_per_s,
    transport_mb_per_s: large.transport_mb_per_s,
    large_peak_rss_mb: large.large_peak_rss_mb,
    large_bytes: bytes,
  });
  table.push([
    `envelope, one ${(bytes / 1024 ** 2).toFixed(0)} MiB object`,
    `${fmt(large.large_mb_per_s)} MB/s`,
    '',
    '',
    `AES-GCM ceiling ${fmt(large.aes_ceiling_mb_per_s)} MB/s; plain streamed copy ${fmt(large.transport_mb_per_s)} MB/s`,
    fmt(large.large_peak_rss_mb),
  ]);
}

const header = ['contender', 'objects/s', 'p50 ms', 'p99 ms', 'requests per object', 'peak RSS MiB'];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
for (const row of [header, ...table])
  console.log(row.map((cell, i) => (cell ?? '').padEnd(widths[i]!)).join('  '));

if (typeof result.floor_ops_per_s === 'number' && typeof result.ssekms_ops_per_s === 'number') {
  const ratio = result.ssekms_ops_per_s / result.floor_ops_per_s;
  result.ssekms_over_floor = +ratio.toFixed(3);
  console.log(`\ns3-seal sse-kms / floor: ${ratio.toFixed(2)}×`);
}
for (const [mode, l] of Object.entries(left))
  for (const line of footprintLines(mode, l, trailLeft[mode])) console.log(line);

if (values.cost && requests['sse-kms']) {
  console.log(
    `\nModelled cost per million objects (USD, AWS list prices ${PRICES.asOf}, us-east-1; see bench/cost-model.ts):`,
  );
  const costs: Record<string, unknown> = {};
  for (const [name, perObject] of Object.entries(requests)) {
    // Lambda time per object for the contenders that run as functions (rewraps: `rewrap_…`).
    const p50Key = `${name.replace('-', '').replace('rewrap ', 'rewrap_')}_p50_ms`;
    const p50 = typeof result[p50Key] === 'number' ? (result[p50Key] as number) / 1000 : undefined;
    costs[name] = costPerMillion(perObject, p50, {
      billedBytesPerObject: left[name]?.billed_bytes_per_object,
    });
    console.log(`  ${name.padEnd(10)} ${JSON.stringify(costs[name])}`);
  }
  costs['s3-batch-operations'] = batchOperationsPerMillion();
  console.log(
    `  ${'s3-batch-operations'.padEnd(10)} ${JSON.stringify(costs['s3-batch-operations'])} (plus KMS via S3, as for the others)`,
  );
  result.cost_per_million_usd = costs;
}
// The bench's own queues and tables go: DynamoDB Local and LocalStack keep them in memory.
for (const table of tablesMade)
  await clients.dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
const { QueueUrls = [] } = await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
for (const url of QueueUrls)
  await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
console.log(JSON.stringify(result));
await exitAfterOutput(0);
