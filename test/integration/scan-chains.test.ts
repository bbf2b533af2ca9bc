import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as scanHandler } from '../../functions/scan/handler.js';
import type { EncryptChunk } from '../../shared/chunks/chunk-message.js';
import { createClients } from '../../shared/clients.js';
import { chainIdOf } from '../../shared/jobs/chain-plan.js';
import { parseScanQueueMessage, type ScanMessage } from '../../shared/jobs/messages.js';
import { type ChainScanDeps, scanChainPage } from '../../shared/jobs/scan-chain.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { runItemKey } from '../../shared/runs/run-store.js';
import { ScanChains } from '../../shared/runs/scan-chains.js';
import { pollQueue, type SqsHandler } from '../../shared/worker/queue-poller.js';
import { ODD_KEYS, sortedKeys } from '../helpers/key-space.js';
import { startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * A listing run split into chains enqueues every key exactly once, counts what it discovered
 * exactly, and completes once; a redelivered page changes nothing, and a page that died after
 * queueing its next pages is redone with the same pages (docs/large-buckets.md, "Listing chains").
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
// Several hundred keys in assorted prefixes and depths, with trailing spaces; the odd keys (and a
// non-ASCII folder) sit in one folder that fits one page (22 keys; pages of 25). LocalStack compares continuation tokens and
// StartAfter with URL-encoded keys, so a listing page after the first loses keys whose encoding
// sorts differently (`é` as `%C3%A9`); S3 compares raw keys. Chains list by prefix and token only,
// which both agree on within one page (the unit tests cover odd keys across pages).
const KEYS = [
  ...plainKeys(360),
  ...ODD_KEYS.map((key) => `odd/${key}`),
  ...Array.from({ length: 5 }, (_, i) => `odd/Ünï/${i}`),
];
const PAGE_SIZE = 25;

function plainKeys(n: number): string[] {
  const tops = ['alpha/', 'beta/deep/er/', 'logs/2024/0', 'z/', '', 'gamma/'];
  return Array.from(
    { length: n },
    (_, i) => `${tops[i % tops.length]}${String((i * 7919) % n).padStart(5, '0')}${i % 11 === 0 ? ' ' : ''}`,
  );
}

beforeAll(async () => {
  process.env.S3SEAL_SCAN_PAGE_SIZE = String(PAGE_SIZE);
  pipeline = await startPipeline('scan-chains');
  bucket = uniqueBucket('scan-chains');
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (let i = 0; i < KEYS.length; i += 25) {
    await Promise.all(
      KEYS.slice(i, i + 25).map((key) =>
        pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key })),
      ),
    );
  }
});

async function startChainedRun(scanChains: number): Promise<string> {
  const run = await startRun(
    { ...pipeline.clients, runs: pipeline.runs, queues: pipeline.queues },
    { bucket, prefix: '', mode: 'sse-s3', scanChains },
  );
  return run.runId;
}

/** Serves the scan queue with the real scan handler until the run's scan is complete. */
async function scanToCompletion(runId: string, seen: string[] = []): Promise<void> {
  const stop = new AbortController();
  const recording: SqsHandler = async (event, context) => {
    seen.push(...event.Records.map((r) => r.body));
    return (scanHandler as unknown as SqsHandler)(event, context);
  };
  const pollers = Array.from({ length: 3 }, () =>
    pollQueue({
      sqs: pipeline.clients.sqs,
      queueUrl: pipeline.queues.scan,
      handler: recording,
      functionName: 's3-seal-scan',
      signal: stop.signal,
      waitSeconds: 1,
    }),
  );
  const deadline = Date.now() + 120_000;
  while (!(await pipeline.runs.get(runId))?.scanComplete && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stop.abort();
  await Promise.all(pollers);
}

/** Every encrypt chunk queued so far (the queue is this file's own), removed from the queue. */
async function drainEncryptChunks(): Promise<EncryptChunk[]> {
  const chunks: EncryptChunk[] = [];
  let empty = 0;
  while (empty < 3) {
    const out = await pipeline.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: pipeline.queues.encrypt,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) {
      empty += 1;
      continue;
    }
    empty = 0;
    chunks.push(...messages.map((m) => JSON.parse(m.Body!) as EncryptChunk));
    await pipeline.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: pipeline.queues.encrypt,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return chunks;
}

/** The keys of every encrypt chunk queued so far, one per intent. */
async function drainEncryptJobs(): Promise<string[]> {
  return (await drainEncryptChunks()).flatMap((chunk) => chunk.intents.map((intent) => intent.key));
}

async function runItem(runId: string) {
  const out = await pipeline.clients.dynamo.send(
    new GetCommand({ TableName: pipeline.config.ledgerTable, Key: runItemKey(runId), ConsistentRead: true }),
  );
  return out.Item!;
}

const chainDeps = (
  chains = new ScanChains(pipeline.clients.dynamo, pipeline.config.ledgerTable),
): ChainScanDeps => ({
  ...pipeline.clients,
  runs: pipeline.runs,
  chains,
  queues: pipeline.queues,
  // The scan handler's own: a redelivery here finds the listing records its deliveries wrote.
  auditLocation: pipeline.config.auditLocation,
  config: { scanPageSize: PAGE_SIZE },
});

const sorted = sortedKeys;

describe('listing chains on the local stack', () => {
  it('a run of 4 chains enqueues every key once, counts exactly, completes; a redelivered page changes nothing', async () => {
    await drainEncryptJobs();
    const runId = await startChainedRun(4);
    const seen: string[] = [];
    await scanToCompletion(runId, seen);

    const enqueued = await drainEncryptJobs();
    expect(sorted(enqueued)).toEqual(sorted(KEYS));
    const item = await runItem(runId);
    expect(item).toMatchObject({ discovered: KEYS.length, scanComplete: true, scanPending: 0 });
    // The root, a chain for each top-level folder (alpha/ beta/ gamma/ logs/ odd/ z/), and below.
    expect(item.scanChains).toBeGreaterThanOrEqual(7);
    expect(item.pagesScanned).toBeGreaterThan(item.scanChains);
    const chainIds = new Set(
      seen.map((body) => chainIdOf((parseScanQueueMessage(body) as ScanMessage).chain!.prefix)),
    );
    expect(chainIds.size).toBe(item.scanChains);

    // Every page again, as SQS may redeliver it: nothing is queued, nothing counted.
    for (const body of seen) {
      const result = await scanChainPage(parseScanQueueMessage(body) as ScanMessage, chainDeps());
      expect(result).toEqual({ enqueued: 0, hasNextPage: false, duplicate: true });
    }
    expect(await drainEncryptJobs()).toEqual([]);
    expect(await runItem(runId)).toMatchObject({
      discovered: KEYS.length,
      pagesScanned: item.pagesScanned,
      scanPending: 0,
    });
  });

  it('a page that dies after queueing is redone with the same next pages; the run counts exactly once', async () => {
    await drainEncryptJobs();
    const runId = await startChainedRun(4);
    // Take the run's first page off the queue and deliver it to a process that dies while recording.
    const out = await pipeline.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: pipeline.queues.scan,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 2,
      }),
    );
    const first = parseScanQueueMessage(out.Messages![0]!.Body!) as ScanMessage;
    expect(first.chain).toEqual({ prefix: '', delimited: true, budget: 4 });
    const dying = createClients(pipeline.config).dynamo;
    dying.middlewareStack.add(
      (next) => async (args) => {
        // The transaction that records the page (its marker turns done).
        if (JSON.stringify(args.input).includes('SET done')) throw new Error('died while recording');
        return next(args);
      },
      { step: 'initialize', name: 'dieOnRecord' },
    );
    await expect(
      scanChainPage(first, chainDeps(new ScanChains(dying, pipeline.config.ledgerTable))),
    ).rejects.toThrow('died while recording');
    // Its plan stands (and counts what it queued as pending); nothing is counted as listed yet.
    const died = await runItem(runId);
    expect(died.discovered).toBe(0);
    expect(died.scanPending).toBeGreaterThan(1);

    // SQS gives the page back (here: the test does); the redelivery queues the same two pages,
    // whose copies then count once.
    await pipeline.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: pipeline.queues.scan,
        Entries: [{ Id: '0', ReceiptHandle: out.Messages![0]!.ReceiptHandle! }],
      }),
    );
    const redone = await scanChainPage(first, chainDeps());
    expect(redone.duplicate).toBe(false);
    await scanToCompletion(runId);

    const chunks = await drainEncryptChunks();
    const enqueued = chunks.flatMap((chunk) => chunk.intents.map((intent) => intent.key));
    // The first page's chunk went out twice, as the same chunk (the chunk ledger works it once);
    // every other once.
    expect(sorted([...new Set(enqueued)])).toEqual(sorted(KEYS));
    expect(enqueued.length).toBe(KEYS.length + PAGE_SIZE);
    const ids = chunks.map((chunk) => chunk.chunkId);
    expect(new Set(ids).size).toBe(ids.length - 1);
    expect(chunks.every((chunk) => chunk.intents.length <= PAGE_SIZE && chunk.type === 'encrypt-chunk')).toBe(
      true,
    );
    expect(await runItem(runId)).toMatchObject({
      discovered: KEYS.length,
      scanComplete: true,
      scanPending: 0,
    });
  });

  it('a run listed in one page records it and completes its scan in one transaction; other pages ask once after', async () => {
    const small = uniqueBucket('scan-one-page');
    await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: small }));
    await Promise.all(
      ['a/1', 'a/2', 'b/1', 'top'].map((key) =>
        pipeline.clients.s3.send(new PutObjectCommand({ Bucket: small, Key: key, Body: key })),
      ),
    );
    await drainEncryptJobs();
    const run = await startRun(
      { ...pipeline.clients, runs: pipeline.runs, queues: pipeline.queues },
      { bucket: small, prefix: '', mode: 'sse-s3', scanChains: 4 },
    );
    const out = await pipeline.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: pipeline.queues.scan,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 2,
      }),
    );
    const page = parseScanQueueMessage(out.Messages![0]!.Body!) as ScanMessage;
    await pipeline.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: pipeline.queues.scan,
        Entries: [{ Id: '0', ReceiptHandle: out.Messages![0]!.ReceiptHandle! }],
      }),
    );
    const counted = createClients(pipeline.config).dynamo;
    const sent: string[] = [];
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countScanRequests' },
    );
    expect(
      await scanChainPage(page, chainDeps(new ScanChains(counted, pipeline.config.ledgerTable))),
    ).toEqual({
      enqueued: 4,
      hasNextPage: false,
      duplicate: false,
    });
    // Is it done already? Its plan, counted pending; its record, with the scan's completion.
    expect(sent).toEqual(['GetItemCommand', 'TransactWriteItemsCommand', 'TransactWriteItemsCommand']);
    expect(await runItem(run.runId)).toMatchObject({ discovered: 4, scanComplete: true, scanPending: 0 });
    expect(sorted(await drainEncryptJobs())).toEqual(sorted(['a/1', 'a/2', 'b/1', 'top']));

    // A page that believes it is the whole scan while another is pending: recorded without the
    // completion, counted once; the check after it (one conditional write) finds a page pending.
    const chains = new ScanChains(pipeline.clients.dynamo, pipeline.config.ledgerTable);
    const other = `${run.runId}-other`;
    expect((await chains.savePlan(other, 'c', 1, '{"children":[]}', 2)).won).toBe(true);
    expect(await chains.recordPage(other, 'c', 1, 7, { completes: true })).toEqual({
      recorded: true,
      completed: false,
    });
    expect(await chains.completeIfNothingPending(other)).toBe(false);
    expect(await chains.recordPage(other, 'c', 1, 7, { completes: true })).toEqual({
      recorded: false,
      completed: false,
    });
    const item = await runItem(other);
    expect(item).toMatchObject({ discovered: 7, scanPending: 1 });
    expect(item.scanComplete).toBeUndefined();
  });
});
