/**
 * The transparency log's sequencer on the local stack (issue 23's sequencing target):
 *   npm run bench:tlog-sequencing [-- --chunks N --batch M]
 * Writes N committed chunk items (100 objects each by the chunk model) to a table of its own, then
 * appends them with one sequencer in calls of M requests (a Lambda batch of the sequencer's queue)
 * and prints the rate (chunks and objects per second), what one round of up to 99 chunks costs in
 * requests and write units, where its time goes by service (the limiting component), and the price
 * per million objects. Figures, never assertions; everything it made is deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chunkItemKey } from '../shared/chunks/chunk-item-key.js';
import { chunkIdFor } from '../shared/chunks/chunk-message.js';
import { ensureTables } from '../shared/infra/provision.js';
import { CHUNK_OBJECTS } from '../shared/plan/chunk-model.js';
import { PRICES } from '../shared/plan/prices.js';
import { exitAfterOutput } from '../shared/process-output.js';
import { KmsNoteSigner } from '../shared/tlog/kms-note-signer.js';
import type { LeafRequest } from '../shared/transparency/leaf-request.js';
import { LogSequencer } from '../shared/transparency/log-sequencer.js';
import { S3TileStore } from '../shared/transparency/s3-tile-store.js';
import { MAX_LEAVES_PER_ASSIGNMENT } from '../shared/transparency/sequencer-state.js';
import { countRequests } from './request-counter.js';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '3000' },
    batch: { type: 'string', default: '990' },
  },
});
const chunks = Number(values.chunks);
const batch = Number(values.batch);
const log = (line: string) => process.stderr.write(`${line}\n`);
/** KMS asymmetric requests (Sign on an ECC key): priced at five times the symmetric rate, the higher published figure. */
const KMS_SIGN_PER_10K = PRICES.kmsPer10k * 5;

const prefix = `bench-tlog-${randomUUID().slice(0, 8)}`;
const table = `${prefix}-ledger`;
const bucket = `${prefix}-audit`;
const raw = new DynamoDBClient({});
const dynamo = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
const s3 = new S3Client({ forcePathStyle: true });
const kms = new KMSClient({});

await ensureTables(raw, { ledgerTable: table, auditTable: `${prefix}-audit` });
await s3.send(new CreateBucketCommand({ Bucket: bucket }));
const keyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })))
  .KeyMetadata!.KeyId!;

// Committed chunk items as commits leave them (about 500 bytes: the key, log, hash, counts).
const runId = `20261207T000000-${randomUUID().slice(0, 8)}`;
const requests: LeafRequest[] = [];
for (let i = 0; i < chunks; i++) {
  const chunkId = chunkIdFor(runId, `listing:bench:0:${i}`);
  const logKey = `audit/runs/${runId}/chunks/${chunkId}/1.jsonl.gz`;
  requests.push({
    runId,
    chunkId,
    leaf: { bucket, key: logKey, sha256: chunkId.padEnd(64, '0').slice(0, 64) },
  });
}
log(`bench: writing ${chunks} committed chunk items`);
for (let i = 0; i < requests.length; i += 25) {
  await dynamo.send(
    new BatchWriteCommand({
      RequestItems: {
        [table]: requests.slice(i, i + 25).map((r) => ({
          PutRequest: {
            Item: {
              ...chunkItemKey(r),
              state: 'DONE',
              attempt: 1,
              membership: 'm'.repeat(64),
              salts: ['s'.repeat(32)],
              firstClaimedAt: new Date().toISOString(),
              updatedAt: new Date().toISOString(),
              logKey: r.leaf.key,
              logSha256: r.leaf.sha256,
              records: CHUNK_OBJECTS,
              keyArns: [`arn:aws:kms:us-east-1:000000000000:key/${randomUUID()}`],
            },
          },
        })),
      },
    }),
  );
}

// Time spent waiting on each service, to name the limiting component.
const waited: Record<string, number> = { dynamo: 0, s3: 0, kms: 0 };
for (const [service, client] of Object.entries({ dynamo, s3, kms }) as Array<[string, S3Client]>) {
  client.middlewareStack.add(
    (next) => async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        waited[service] = (waited[service] ?? 0) + (performance.now() - started);
      }
    },
    { step: 'finalizeRequest', name: `wait-${service}` },
  );
}
const counts = countRequests({ dynamo, s3, kms } as unknown as Record<string, unknown>);
const origin = `s3-seal/${bucket}/tlog`;
const sequencer = new LogSequencer({
  dynamo,
  table,
  tiles: new S3TileStore(s3, { bucket, prefix: 'tlog/' }),
  origin,
  signer: (() => {
    const signer = KmsNoteSigner.create(kms, keyId, origin);
    return () => signer;
  })(),
});

log(`bench: sequencing in calls of ${batch}`);
const started = performance.now();
let size = 0;
for (let i = 0; i < requests.length; i += batch)
  size = (await sequencer.sequence(requests.slice(i, i + batch))).size;
const seconds = (performance.now() - started) / 1000;
const rounds = Math.ceil(chunks / MAX_LEAVES_PER_ASSIGNMENT);
const objects = chunks * CHUNK_OBJECTS;
const perRound = (n: number) => +(n / rounds).toFixed(2);

const s3Puts = counts['s3.PutObject'] ?? 0;
const s3Gets = counts['s3.GetObject'] ?? 0;
const writeUnits = (counts['dynamo.wcu.table'] ?? 0) + (counts['dynamo.wcu.index'] ?? 0);
const readUnits = counts['dynamo.rcu'] ?? 0;
const signs = counts['kms.Sign'] ?? 0;
const usd = {
  s3: (s3Puts / 1000) * PRICES.s3PutCopyListPer1k + (s3Gets / 1000) * PRICES.s3GetHeadPer1k,
  dynamodb:
    (writeUnits / 1e6) * PRICES.dynamoWritePerMillion + (readUnits / 1e6) * PRICES.dynamoReadPerMillion,
  kms: (signs / 10_000) * KMS_SIGN_PER_10K,
  // One SendMessageBatch per ten commits, and the sequencer's receive and delete per ten messages.
  sqs: ((chunks * 0.3) / 1e6) * PRICES.sqsPerMillion,
  // The sequencer function at 512 MB for the measured time.
  lambda:
    seconds * 0.5 * PRICES.lambdaArmGbSecond + ((chunks / batch) * PRICES.lambdaRequestPerMillion) / 1e6,
};
const total = Object.values(usd).reduce((a, b) => a + b, 0);
const perMillion = (dollars: number) => +((dollars * 1e6) / objects).toFixed(4);
const limiting = Object.entries(waited).sort((a, b) => b[1] - a[1])[0]![0];
const result = {
  chunks,
  objects,
  tree_size: size,
  seconds: +seconds.toFixed(2),
  chunks_per_s: Math.round(chunks / seconds),
  objects_per_s: Math.round(objects / seconds),
  rounds,
  ms_per_round: +((seconds * 1000) / rounds).toFixed(1),
  per_round: {
    dynamo_requests: perRound(counts.dynamo ?? 0),
    write_units: perRound(writeUnits),
    s3_puts: perRound(s3Puts),
    s3_gets: perRound(s3Gets),
    kms_signs: perRound(signs),
  },
  wait_ms_per_round: Object.fromEntries(
    Object.entries(waited).map(([k, v]) => [k, +(v / rounds).toFixed(1)]),
  ),
  limiting_component: limiting,
  usd_per_million_objects: {
    ...Object.fromEntries(Object.entries(usd).map(([k, v]) => [k, perMillion(v)])),
    total: perMillion(total),
  },
};
log(
  `sequenced ${chunks} chunks (${objects} objects) in ${result.seconds} s: ${result.chunks_per_s} chunks/s = ` +
    `${result.objects_per_s} objects/s; ${result.ms_per_round} ms per round of ${MAX_LEAVES_PER_ASSIGNMENT}; ` +
    `limited by ${limiting}; $${result.usd_per_million_objects.total} per million objects`,
);
console.log(JSON.stringify(result));

await raw.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
await raw.send(new DeleteTableCommand({ TableName: `${prefix}-audit` })).catch(() => undefined);
await kms
  .send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }))
  .catch(() => undefined);
await exitAfterOutput(0);
