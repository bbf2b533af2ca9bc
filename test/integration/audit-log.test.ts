import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  auditPartitionKey,
  DynamoDbAuditLog,
  readAnchor,
} from '../../shared/audit/audit-log.js';
import { type ChainedRecord, verifyChain } from '../../shared/audit/hash-chain.js';
import { createClients } from '../../shared/clients.js';
import { encryptObject } from '../../shared/jobs/encrypt-object.js';
import { DynamoDbLedger } from '../../shared/ledger/dynamodb-ledger.js';
import { startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * The audit append's request count and its chain, with and without the "likely new chain" hint a
 * first claim gives: the hint saves the anchor read, and a wrong hint still links correctly.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline('audit-log');
});

/** A DynamoDB client of its own, recording the operations it sends. */
function countingClient() {
  const client = createClients(pipeline.config).dynamo;
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return { client, calls };
}

/** An audit log over its own client, counting the DynamoDB operations it sends. */
function countingAuditLog() {
  const { client, calls } = countingClient();
  return {
    log: new DynamoDbAuditLog(client, pipeline.config.auditTable, pipeline.config.ledgerTable),
    calls,
  };
}

const record = (key: string, jobId: string): AuditRecord => ({
  decision: 'encrypted',
  runId: 'run-audit-log',
  jobId,
  actor: 'test',
  bucket: 'audit-log-bucket',
  key,
  mode: 'envelope',
  at: new Date().toISOString(),
});

async function chainOf(key: string): Promise<ChainedRecord[]> {
  const out = await pipeline.clients.dynamo.send(
    new QueryCommand({
      TableName: pipeline.config.auditTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': auditPartitionKey('audit-log-bucket', key) },
      ConsistentRead: true,
    }),
  );
  // As stored, less the table's keys (what verification hashes).
  const records = (out.Items ?? []).map(({ pk: _pk, sk: _sk, ...record }) => record as ChainedRecord);
  return records.sort((a, b) => a.seq - b.seq);
}

describe('DynamoDbAuditLog.append', () => {
  it('starts a new chain with one transaction and no read when told the chain is likely new', async () => {
    const key = `new-${randomUUID()}`;
    const { log, calls } = countingAuditLog();
    await log.append(record(key, 'job-1'), { likelyNewChain: true });
    expect(calls).toEqual(['TransactWriteItemsCommand']);
    const records = await chainOf(key);
    expect(records.map((r) => r.seq)).toEqual([1]);
    const anchor = await readAnchor(
      pipeline.clients.dynamo,
      pipeline.config.ledgerTable,
      'audit-log-bucket',
      key,
    );
    expect(verifyChain(records, anchor)).toEqual([]);
  });

  it('links onto an existing chain when the hint was wrong, without a second record or a fork', async () => {
    const key = `wrong-hint-${randomUUID()}`;
    const { log } = countingAuditLog();
    await log.append(record(key, 'job-1'));
    const counted = countingAuditLog();
    await counted.log.append(record(key, 'job-2'), { likelyNewChain: true });
    // The failed attempt returns the current anchor, so relinking needs no read.
    expect(counted.calls).toEqual(['TransactWriteItemsCommand', 'TransactWriteItemsCommand']);
    const records = await chainOf(key);
    expect(records.map((r) => [r.jobId, r.seq])).toEqual([
      ['job-1', 1],
      ['job-2', 2],
    ]);
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
    const anchor = await readAnchor(
      pipeline.clients.dynamo,
      pipeline.config.ledgerTable,
      'audit-log-bucket',
      key,
    );
    expect(anchor).toEqual({ head: records[1]!.hash, seq: 2 });
    expect(verifyChain(records, anchor)).toEqual([]);
  });

  it('appends a redelivered record once, with or without the hint', async () => {
    const key = `again-${randomUUID()}`;
    const { log } = countingAuditLog();
    await log.append(record(key, 'job-1'), { likelyNewChain: true });
    await log.append(record(key, 'job-1'), { likelyNewChain: true });
    await log.append(record(key, 'job-1'));
    expect((await chainOf(key)).map((r) => r.jobId)).toEqual(['job-1']);
  });
});

describe('a compliant decision', () => {
  it('appends without reading the anchor the first time, and links onto the chain the next', async () => {
    const { s3 } = pipeline.clients;
    const bucket = uniqueBucket('audit-compliant');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'k',
        Body: 'already protected',
        ServerSideEncryption: 'AES256',
      }),
    );
    const decide = async (runId: string) => {
      const { client, calls } = countingClient();
      const deps = pipeline.encryptDeps({
        ledger: new DynamoDbLedger(client, pipeline.config.ledgerTable),
        audit: new DynamoDbAuditLog(client, pipeline.config.auditTable, pipeline.config.ledgerTable),
      });
      const result = await encryptObject(
        { type: 'encrypt', runId, jobId: 'j', bucket, key: 'k', mode: 'sse-s3' },
        deps,
      );
      return { result, calls };
    };
    const first = await decide(`run-${randomUUID()}`);
    expect(first.result.outcome).toBe('compliant');
    // Ledger read (nothing there), decision, audit transaction: no anchor read.
    expect(first.calls).toEqual(['GetItemCommand', 'UpdateItemCommand', 'TransactWriteItemsCommand']);
    const second = await decide(`run-${randomUUID()}`);
    expect(second.result.outcome).toBe('compliant');
    expect(second.calls).toEqual([
      'GetItemCommand',
      'UpdateItemCommand',
      'GetItemCommand',
      'TransactWriteItemsCommand',
    ]);
  });
});

describe('DynamoDbLedger.claim', () => {
  it('says whether the claim created the item (the audit hint)', async () => {
    const ledger = new DynamoDbLedger(pipeline.clients.dynamo, pipeline.config.ledgerTable);
    const ref = { bucket: 'audit-log-bucket', key: `claim-${randomUUID()}`, operation: 'encrypt' as const };
    const claim = (owner: string) =>
      ledger.claim({
        ...ref,
        runId: 'r',
        jobId: 'j',
        owner,
        leaseSeconds: 60,
        sourceEtag: '"e"',
        mode: 'sse-s3',
        method: 'copy-in-place',
      });
    expect(await claim('a')).toEqual({ claimed: true, firstClaim: true });
    await ledger.release(ref, 'a', 'passing failure');
    expect(await claim('b')).toEqual({ claimed: true, firstClaim: false });
  });
});
