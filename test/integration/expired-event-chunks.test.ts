import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsHandler } from '../../functions/events/handler.js';
import { chunkItemKey } from '../../shared/chunks/chunk-item-key.js';
import { chunkLogKey, encodeChunkLog } from '../../shared/chunks/chunk-log.js';
import type { ChunkItem } from '../../shared/chunks/chunk-store.js';
import { watchRunId } from '../../shared/events/watch-run-id.js';
import { KmsNoteSigner } from '../../shared/tlog/kms-note-signer.js';
import { parseTlogProof } from '../../shared/tlog/tlog-proof.js';
import { formatVerifierKey } from '../../shared/tlog/verifier-key.js';
import { encodeLeafEntry } from '../../shared/transparency/leaf-entry.js';
import { WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { objectCreatedEvent, watchWholeBucket } from '../helpers/s3-events.js';
import { runTool } from '../helpers/tlog-directory.js';
import { buildTlogTools } from '../helpers/tlog-go.js';
import { readObject, sequenceCommitted, writeObject } from '../helpers/tlog-s3.js';

// Live enforcement's chunk item expires a day after its commit (DynamoDB's TTL); its chunk log and
// its leaf in the transparency log stay. Here a real event is processed by the events handler and
// sequenced by the real sequencer, then its item is deleted as the TTL would, and the log's age is
// simulated with S3SEAL_TEST_EVENT_CHUNK_TTL_SECONDS=0 (the age at which the audit commands take an
// item-less watch log for expired; S3 sets LastModified and nobody can backdate it). The commands
// run through the CLI; the proof is checked offline by the Go checker (x/mod/sumdb/tlog).
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let tables: string;
let scratch: string;
let bucket: string;
let runId: string;
let item: ChunkItem;
const aged = () => ({ ...process.env, S3SEAL_TEST_EVENT_CHUNK_TTL_SECONDS: '0' });

const created = (key: string, eTag: string): SQSEvent => objectCreatedEvent({ bucket, key, eTag });

beforeAll(async () => {
  // Tables of its own: `audit verify --all` reads every run in them, and the watch run is the only one.
  tables = `it-expired-${randomUUID().slice(0, 6)}`;
  process.env.S3SEAL_LEDGER_TABLE = `${tables}-ledger`;
  process.env.S3SEAL_AUDIT_TABLE = `${tables}-audit`;
  scratch = mkdtempSync(join(tmpdir(), 'expired-'));
  pipeline = await startPipeline('expired');
  const keyArn = await createKmsKey(pipeline.clients.kms);
  bucket = uniqueBucket('expired');
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const policies = new WatchPolicyStore(pipeline.clients.dynamo, pipeline.config.ledgerTable);
  await watchWholeBucket(policies, bucket, keyArn);
  const put = await pipeline.clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'doc.txt', Body: 'user bytes' }),
  );
  const handler = createEventsHandler(() => ({
    ...pipeline.encryptDeps(),
    runs: pipeline.runs,
    policies,
  }));
  expect(
    (await handler(created('doc.txt', put.ETag!.replace(/"/g, '')), {} as never)).batchItemFailures,
  ).toEqual([]);
  runId = watchRunId(bucket, new Date());
  item = (await pipeline.trail.chunksOf(runId))[0]!;
  expect(item).toMatchObject({ state: 'DONE', records: 1, expiresAt: expect.any(Number) });
  expect(await sequenceCommitted(pipeline)).toEqual({ size: 1, appended: 1 });
  // DynamoDB's TTL, a day later.
  await pipeline.clients.dynamo.send(
    new DeleteCommand({ TableName: pipeline.config.ledgerTable, Key: chunkItemKey(item) }),
  );
}, 300_000);

afterAll(async () => {
  for (const TableName of [pipeline?.config.ledgerTable, pipeline?.config.auditTable])
    if (TableName)
      await pipeline.clients.dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('a live-enforcement chunk whose item expired', () => {
  it('is inserted while its log is younger than the TTL: an item deleted early is tampering', () => {
    const young = runCli(['audit', 'verify', '--run', runId]);
    expect(young.status, young.stderr).toBe(1);
    expect(young.stdout).toBe(
      `run ${runId} chunk ${item.chunkId}: log ${item.logKey}: inserted: no chunk item names it (1 record(s))\n`,
    );
  });

  it('once older: a note for --run, proven by its leaf for --all, exported with its run', () => {
    const run = runCli(['audit', 'verify', '--run', runId], 150_000, aged());
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `run ${runId} chunk ${item.chunkId}: log ${item.logKey}: expired: its chunk item expired (live enforcement keeps it a day); audit verify --all checks it against the transparency log\n`,
    );
    expect(run.stderr).toContain(`run ${runId}: 1 audit record(s) of 1 object(s) checked`);

    const all = runCli(['audit', 'verify', '--all'], 150_000, aged());
    expect(all.status, all.stdout + all.stderr).toBe(0);
    expect(all.stdout).toBe('');
    expect(all.stderr).toContain(
      'whole trail: 1 audit record(s) of 1 object(s) and 0 closed run(s) checked; no problems',
    );
    expect(all.stderr).toMatch(
      /: 1 leaves, checkpoint verified .*; 1 chunk log\(s\) hash as their leaves record; 0 of 0 committed chunk\(s\) are leaves; expired event chunks proven by their leaf: 1; no problems\n/,
    );

    const exported = runCli(['audit', 'export', '--run', runId], 150_000, aged());
    expect(exported.status, exported.stderr).toBe(0);
    expect(
      exported.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).key),
    ).toEqual(['doc.txt']);
  });

  it('has a proof of its decision that the Go checker accepts offline', async () => {
    const out = runCli(['audit', 'proof', `s3://${bucket}/doc.txt`], 150_000, aged());
    expect(out.status, out.stderr).toBe(0);
    expect(out.stderr).toMatch(
      new RegExp(
        `^s3://${bucket}/doc.txt: encrypted at \\S+ \\(run ${runId} chunk ${item.chunkId} position 0\\) is leaf 0 of 1 in transparency log \\S+ \\(its chunk item expired; the leaf is its commit record\\); the proof checks with its key\\n$`,
      ),
    );
    const extra = JSON.parse(Buffer.from(parseTlogProof(out.stdout).extra!).toString('utf8'));
    expect(extra).toMatchObject({ key: item.logKey, sha256: item.logSha256, position: 0 });
    const file = (name: string, bytes: string | Uint8Array) => {
      const path = join(scratch, name);
      writeFileSync(path, bytes);
      return path;
    };
    const { origin, keyId } = pipeline.config.transparencyLog;
    const signer = await KmsNoteSigner.create(pipeline.clients.kms, keyId, origin);
    const tools = await buildTlogTools();
    const check = await runTool(tools.checker, [
      'proof',
      '--vkey-file',
      file('vkey', formatVerifierKey(origin, signer.publicKeyDer)),
      '--origin',
      origin,
      '--proof-file',
      file('object.tlog-proof', out.stdout),
      '--entry-file',
      file('entry', encodeLeafEntry(extra)),
      '--chunk-log',
      file('chunk-log.gz', await readObject(pipeline.clients.s3, extra.bucket, extra.key)),
    ]);
    expect(check.output).toMatch(
      new RegExp(`^ok proof of leaf 0 in 1: s3://${bucket}/doc.txt encrypted at `),
    );
    expect(check.code).toBe(0);
  }, 300_000);

  it('finds an item-less watch-run log that no leaf names: inserted, not expired', async () => {
    const forged = 'f'.repeat(24);
    const key = chunkLogKey(pipeline.config.auditLocation, runId, forged, 1);
    const record = {
      decision: 'compliant' as const,
      runId,
      jobId: `${forged}:0`,
      actor: 'worker:1',
      bucket,
      key: 'forged.txt',
      mode: 'sse-kms',
      at: new Date().toISOString(),
      chunkId: forged,
      position: 0,
    };
    await writeObject(
      pipeline.clients.s3,
      pipeline.config.auditLocation.bucket,
      key,
      encodeChunkLog([record]).body,
    );
    const all = runCli(['audit', 'verify', '--all'], 150_000, aged());
    expect(all.status, all.stderr).toBe(1);
    expect(all.stdout).toBe(
      `run ${runId} chunk ${forged}: log ${key}: inserted: no chunk item names it, and no leaf of the transparency log does (1 record(s))\n`,
    );
    expect(all.stderr).toContain('expired event chunks proven by their leaf: 1; 1 problem(s)');
  });
});
