import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { deploymentChunkSource } from '../../shared/audit/deployment-chunk-source.js';
import { chunkItemKey } from '../../shared/chunks/chunk-item-key.js';
import { KmsNoteSigner } from '../../shared/tlog/kms-note-signer.js';
import { formatVerifierKey } from '../../shared/tlog/verifier-key.js';
import { runCli } from './cli.js';
import { createKmsKey, startPipeline, uniqueBucket } from './pipeline.js';
import { writeSyntheticRun } from './synthetic-chunks.js';
import { runTool } from './tlog-directory.js';
import { buildTlogTools } from './tlog-go.js';
import { sequenceCommitted } from './tlog-s3.js';

/**
 * A deployment on the local stack whose transparency log the audit commands read (the tests of
 * `audit checkpoint`, `audit verify --all` and `audit proof`): tables of its own (--all verifies
 * every run in them), a bucket of 120 objects backfilled (leaves 0 and 1, appended by the run's own
 * sequencer), 300 synthetic committed chunks (leaves 2 to 301: a full level-0 tile and a level-1
 * tile), the checkpoint of 302 leaves saved, then `encrypt --local` through the CLI re-keying the
 * bucket (leaves 302 and 303) and the checkpoint of 304 saved.
 */
export async function setUpLogDeployment(name: string) {
  const tables = `it-${name}-${randomUUID().slice(0, 6)}`;
  process.env.S3SEAL_LEDGER_TABLE = `${tables}-ledger`;
  // A transparency log of its own: the sequencer's state lives in the ledger table.
  process.env.S3SEAL_TLOG_PREFIX = `${tables}-tlog/`;
  process.env.S3SEAL_AUDIT_TABLE = `${tables}-audit`;
  const tools = await buildTlogTools();
  const scratch = mkdtempSync(join(tmpdir(), `${name}-`));
  const file = (fileName: string, text: string | Uint8Array) => {
    const path = join(scratch, fileName);
    writeFileSync(path, text);
    return path;
  };
  const pipeline = await startPipeline(name);
  const { origin, bucket: logBucket, prefix: logPrefix, keyId } = pipeline.config.transparencyLog;
  // The deployment's own signing key (setup made it: ensureAuditTrail in startPipeline).
  const signer = await KmsNoteSigner.create(pipeline.clients.kms, keyId, origin);
  const vkeyFile = file('vkey', formatVerifierKey(origin, signer.publicKeyDer));
  const deployment = { ...pipeline, runs: pipeline.runs };

  const bucket = uniqueBucket(name);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 120, maxObjectBytes: 256 });
  await pipeline.backfill(bucket, 'sse-kms', await createKmsKey(pipeline.clients.kms));
  // No pipeline wrote these: they are handed to the sequencer as a run's close hands on its chunks.
  await writeSyntheticRun(
    { ...pipeline, s3: pipeline.clients.s3, auditLocation: pipeline.config.auditLocation },
    { bucket: uniqueBucket(`${name}-syn`), chunks: 300, perChunk: 2 },
  );
  expect(await sequenceCommitted(deployment)).toEqual({ size: 302, appended: 300 });
  const older = file('older', runCli(['audit', 'checkpoint']).stdout);
  // The real path end to end: its two chunks are leaves by the time `encrypt --local` exits.
  const key = await createKmsKey(pipeline.clients.kms);
  const encrypt = runCli([
    'encrypt',
    `s3://${bucket}`,
    '--mode',
    'sse-kms',
    '--key',
    key,
    '--local',
    '--no-progress',
  ]);
  expect(encrypt.status, encrypt.stderr).toBe(0);
  const secondRun = (await pipeline.runs.recent(1))[0]!;
  expect(await sequenceCommitted(deployment)).toEqual({ size: 304, appended: 0 });
  const newer = file('newer', runCli(['audit', 'checkpoint']).stdout);

  return {
    pipeline,
    tools,
    bucket,
    origin,
    logBucket,
    logPrefix,
    vkeyFile,
    /** The checkpoint of 302 leaves saved before `encrypt --local`, and of 304 after it. */
    older,
    newer,
    /** The run `encrypt --local` made. */
    secondRun,
    scratch,
    file,
    /** The S3 key of a path of the log. */
    logKey: (path: string) => `${logPrefix}${path}`,
    verifyAll: (...args: string[]) => runCli(['audit', 'verify', '--all', ...args]),
    /**
     * tessera fsck over LocalStack's HTTP endpoint. It exits 0 whatever it finds and can wait
     * forever on a missing tile: 4 workers, a time limit, the verdict read from its output
     * (test/integration/tlog-interop.test.ts).
     */
    fsck: () =>
      runTool(
        tools.fsck,
        [
          '--storage_url',
          `${process.env.AWS_ENDPOINT_URL}/${logBucket}/${logPrefix}`,
          '--public_key',
          vkeyFile,
          '--ui=false',
          '--N',
          '4',
        ],
        60_000,
      ),
    /** Sets updatedAt of the chunks at leaves `from` and after ten minutes back; `restore` undoes it. */
    async backdateChunksFrom(from: number) {
      const source = deploymentChunkSource(pipeline.clients, pipeline.config);
      const changed: { runId: string; chunkId: string; updatedAt: string }[] = [];
      for await (const runId of pipeline.runs.allRunIds())
        for await (const item of source.listRun(runId))
          if ((item.leafIndex ?? -1) >= from)
            changed.push({ runId, chunkId: item.chunkId, updatedAt: item.updatedAt });
      const setUpdatedAt = (ref: { runId: string; chunkId: string }, at: string) =>
        pipeline.clients.dynamo.send(
          new UpdateCommand({
            TableName: pipeline.config.ledgerTable,
            Key: chunkItemKey(ref),
            UpdateExpression: 'SET updatedAt = :at',
            ExpressionAttributeValues: { ':at': at },
          }),
        );
      const tenMinutesAgo = new Date(Date.now() - 10 * 60_000).toISOString();
      for (const ref of changed) await setUpdatedAt(ref, tenMinutesAgo);
      return {
        chunks: changed.length,
        restore: async () => Promise.all(changed.map((ref) => setUpdatedAt(ref, ref.updatedAt))),
      };
    },
    async cleanup() {
      for (const TableName of [pipeline.config.ledgerTable, pipeline.config.auditTable])
        await pipeline.clients.dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

export type LogDeploymentContext = Awaited<ReturnType<typeof setUpLogDeployment>>;
