/**
 * Chaos soak: a backfill under injected crashes, duplicate deliveries, KMS/S3 throttling and
 * concurrent user overwrites, then an independent check that nothing was lost.
 *   npm run soak [-- --objects N --crash-rate R --dup-rate D --throttle-rate T --overwrite-rate W
 *                   --batch-retry-rate B --workers K --mode envelope|sse-kms]
 * Prints the figures, then one JSON line; exits 1 if any check fails.
 */
import { createHash, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { contentFor, seedBucket } from '../cli/seed-bucket.js';
import { createClients } from '../shared/clients.js';
import { loadConfig } from '../shared/config.js';
import { ensureAuditTrail, ensureQueues, ensureTables } from '../shared/infra/provision.js';
import { startRun } from '../shared/jobs/start-run.js';
import { exitAfterOutput } from '../shared/process-output.js';
import { resolveQueueUrls } from '../shared/queues.js';
import { RunStore, settled } from '../shared/runs/run-store.js';
import { checkSoak } from './soak/check.js';
import { superviseWorkers } from './soak/supervisor.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    // Most crash draws in an envelope soak fall while some upload is mid-body and are held (fault
    // middleware): 6% gives about as many real crashes as 2% did before the hold.
    'crash-rate': { type: 'string', default: '0.06' },
    'dup-rate': { type: 'string', default: '0.1' },
    'throttle-rate': { type: 'string', default: '0.05' },
    'slow-rate': { type: 'string', default: '0.002' },
    // A handler's after-batch step fails and the whole batch is retried (as Lambda retries it).
    'batch-retry-rate': { type: 'string', default: '0.02' },
    'overwrite-rate': { type: 'string', default: '0.01' },
    workers: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '2' },
    mode: { type: 'string', default: 'envelope' },
    poison: { type: 'string', default: '3' },
    'timeout-minutes': { type: 'string', default: '30' },
  },
});
const objects = Number(values.objects);
const log = (line: string) => process.stderr.write(`[soak] ${line}\n`);
const started = Date.now();

// The supervisor itself runs without faults; only the workers get them.
const env: NodeJS.ProcessEnv = { ...process.env, S3SEAL_QUEUE_PREFIX: `soak-${randomUUID().slice(0, 6)}` };
delete env.S3SEAL_FAULTS;
const config = loadConfig(env);
const clients = createClients(config);
await ensureQueues(clients.sqs, config);
await ensureTables(clients.dynamo, config);
await ensureAuditTrail(clients, config);
const [queues, dlqs] = await Promise.all([
  resolveQueueUrls(clients.sqs, config),
  resolveQueueUrls(clients.sqs, config, '-dlq'),
]);
const runs = new RunStore(clients.dynamo, config.ledgerTable);
const keyArn = (await clients.kms.send(new CreateKeyCommand({ Description: 's3-seal soak' }))).KeyMetadata!
  .Arn!;
const bucket = `soak-${Date.now()}`;
log(`seeding s3://${bucket} with ${objects} objects`);
const seeded = await seedBucket(clients.s3, bucket, { objects, maxObjectBytes: 4096, concurrency: 64 });
const expected = new Map(seeded.digests);

// Deliberately poisoned messages: they, and only they, must end in a dead-letter queue.
const poison = Number(values.poison);
for (let i = 0; i < poison; i++) {
  await clients.sqs.send(
    new SendMessageCommand({ QueueUrl: queues.encrypt, MessageBody: `poison ${i}: not json` }),
  );
}

const run = await startRun(
  { ...clients, runs, queues },
  { bucket, prefix: '', mode: values.mode!, key: values.mode === 'sse-s3' ? undefined : keyArn },
);
const spec = `crash=${values['crash-rate']},duplicate=${values['dup-rate']},throttle=${values['throttle-rate']},slow=${values['slow-rate']},batchretry=${values['batch-retry-rate']}`;
log(`run ${run.runId}: ${values.mode}; ${values.workers} workers with S3SEAL_FAULTS=${spec}`);
// Short visibility and lease, so work a crashed worker held comes back within seconds.
const workerEnv = { S3SEAL_LEASE_SECONDS: '10', POWERTOOLS_LOG_LEVEL: 'ERROR' };
const workers = superviseWorkers({
  count: Number(values.workers),
  // The visibility outlasts the lease: a batch redelivered after a crash finds the crashed claims
  // expired instead of burning a receive on "lease held" (ten receives send a message to the DLQ).
  args: ['--pollers', values.concurrency!, '--visibility-seconds', '12'],
  env: { ...env, S3SEAL_FAULTS: spec, ...workerEnv },
  // Each slot's first process makes every armed kind hit once (shared/faults.ts, `first`): random
  // draws alone can miss a kind in a short soak, which would then prove nothing about it.
  firstEnv: { ...env, S3SEAL_FAULTS: `${spec},first=1`, ...workerEnv },
  log,
});

// The writer: users overwriting a share of the objects while the pipeline works.
const overwritten = new Set<string>();
const keys = [...expected.keys()];
const toOverwrite = Math.round(objects * Number(values['overwrite-rate']));
const writer = (async () => {
  const spread = Math.max(5_000, (objects / 100) * 1000);
  for (let i = 0; i < toOverwrite; i++) {
    await new Promise((resolve) => setTimeout(resolve, spread / Math.max(1, toOverwrite)));
    const key = keys[Math.floor(Math.random() * keys.length)]!;
    const body = contentFor(`${key}#overwrite-${i}`, 1 + Math.floor(Math.random() * 4096));
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    expected.set(key, createHash('sha256').update(body).digest('hex'));
    overwritten.add(key);
  }
})();

const deadline = Date.now() + Number(values['timeout-minutes']) * 60_000;
let quietSince: number | undefined;
let lastShown = 0;
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const current = (await runs.get(run.runId))!;
  const done = settled(current.counts);
  if (Date.now() - lastShown > 5000) {
    log(`${done}/${current.discovered} settled, ${workers.stats.restarts} restarts`);
    lastShown = Date.now();
  }
  // Visible messages only: LocalStack's in-flight count can stay up after a crash.
  const visible = await Promise.all(
    [queues.scan, queues.encrypt].map(async (QueueUrl) => {
      const out = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
    }),
  );
  const drained = visible.every((n) => n === 0);
  // Finished once closed: the batch that settles the last object closes the run (or its retry).
  const finished =
    current.scanComplete && done >= current.discovered && drained && Boolean(current.auditDigest);
  if (!finished) quietSince = undefined;
  // Duplicates and crashed batches surface up to a visibility timeout later: wait them out.
  else if (quietSince === undefined) quietSince = Date.now();
  else if (Date.now() - quietSince > 20_000) break;
  if (Date.now() > deadline) {
    log('timed out waiting for the run to settle');
    break;
  }
}
await writer;
await workers.stop();
const seconds = (Date.now() - started) / 1000;

log('checking every object, the chunk items, the audit trail and the DLQs');
const check = await checkSoak({
  clients,
  config,
  runs,
  dlqs,
  bucket,
  runId: run.runId,
  expected,
  overwritten,
});
// Only the poisoned bodies may be dead letters (a duplicated poison message counts twice).
const poisonBodies = new Set(Array.from({ length: poison }, (_, i) => `poison ${i}: not json`));
const deadLetters = Object.entries(check.deadLetters).flatMap(([queue, bodies]) =>
  bodies.map((body) => ({ queue, body })),
);
const strayDeadLetters = deadLetters.filter(
  ({ queue, body }) => queue !== 'encrypt' || !poisonBodies.has(body),
);
const poisonedFound = new Set(deadLetters.map(({ body }) => body).filter((body) => poisonBodies.has(body)));
const deadLetterCounts = Object.fromEntries(Object.entries(check.deadLetters).map(([q, b]) => [q, b.length]));
const problems = [
  ...check.lost.map((p) => `lost: ${p}`),
  ...check.encryptedTwice.map((p) => `encrypted twice: ${p}`),
  ...check.inProgress.map((p) => `claimed and never committed: ${p}`),
  ...check.doneMismatch.map((p) => `encrypted record does not match S3: ${p}`),
  ...check.auditFindings.map((p) => `audit: ${p}`),
  ...check.notInLog.map((p) => `transparency log: ${p}`),
  ...(check.auditRecords !== check.outcomes
    ? [`audit: ${check.auditRecords} records for ${check.outcomes} job outcomes`]
    : []),
  ...(poisonedFound.size !== poison
    ? [`DLQ: ${poisonedFound.size} of the ${poison} poisoned messages dead-lettered`]
    : []),
  ...strayDeadLetters.map(({ queue, body }) => `DLQ ${queue}: unexpected dead letter ${body.slice(0, 120)}`),
];
const final = (await runs.get(run.runId))!;
if (!final.auditDigest) problems.push('run: never closed with its audit digest');
console.log(
  `objects            ${check.objects} (${overwritten.size} overwritten by the writer during the run)`,
);
console.log(
  `faults injected    crash ${workers.stats.faults.crash}, duplicate ${workers.stats.faults.duplicate}, throttle ${workers.stats.faults.throttle}, slow ${workers.stats.faults.slow}, batch retried ${workers.stats.faults.batchretry}; ${workers.stats.crashesHeld} crash draws held (an upload mid-body)`,
);
console.log(`worker restarts    ${workers.stats.restarts}`);
console.log(`outcomes           ${JSON.stringify({ ...final.counts, reasons: undefined })}`);
console.log(
  `audit              ${check.auditRecords} records, chunk logs and digest ${check.auditFindings.length === 0 ? 'verified' : 'FAILED'}`,
);
console.log(
  `transparency log   ${check.notInLog.length === 0 ? 'every committed chunk is a leaf' : `${check.notInLog.length} committed chunk(s) not leaves`}`,
);
console.log(
  `dead letters       ${JSON.stringify(deadLetterCounts)}: ${poisonedFound.size} poisoned on purpose (duplicates included), ${strayDeadLetters.length} others`,
);
console.log(`duration           ${seconds.toFixed(0)} s`);
console.log(`lost               ${check.lost.length}/${check.objects}`);
for (const problem of problems.slice(0, 50)) console.log(`PROBLEM ${problem}`);
console.log(
  JSON.stringify({
    objects: check.objects,
    overwritten: overwritten.size,
    faults: workers.stats.faults,
    crashes_held: workers.stats.crashesHeld,
    restarts: workers.stats.restarts,
    counts: final.counts,
    audit_records: check.auditRecords,
    dead_letters: deadLetterCounts,
    stray_dead_letters: strayDeadLetters.length,
    seconds,
    lost: check.lost.length,
    problems: problems.length,
  }),
);
await exitAfterOutput(problems.length === 0 ? 0 : 1);
