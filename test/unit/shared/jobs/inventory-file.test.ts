import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../../shared/audit/audit-record.js';
import { chunkIdFor, type EncryptChunk } from '../../../../shared/chunks/chunk-message.js';
import { readManifest } from '../../../../shared/inventory/manifest.js';
import { dataFileMessages } from '../../../../shared/inventory/run-inventory.js';
import { inventoryFilePage } from '../../../../shared/jobs/inventory-file.js';
import type { InventoryFileMessage } from '../../../../shared/jobs/messages.js';
import type { RunStore } from '../../../../shared/runs/run-store.js';
import { buildInventory, type InventoryEntry, memoryS3 } from '../../../helpers/inventory.js';

/** 250 plaintext rows, one of them large, and 150 SSE-S3 rows an sse-s3 run settles from the report. */
const entries: InventoryEntry[] = [
  ...Array.from(
    { length: 250 },
    (_, i): InventoryEntry => ({
      key: `plain/${String(i).padStart(3, '0')}`,
      size: i === 120 ? 10_000 : 10,
      etag: `p${i}`,
      encryptionStatus: 'NOT-SSE',
    }),
  ),
  ...Array.from(
    { length: 150 },
    (_, i): InventoryEntry => ({
      key: `done/${String(i).padStart(3, '0')}`,
      size: 10,
      etag: `d${i}`,
      encryptionStatus: 'SSE-S3',
    }),
  ),
];

describe('inventoryFilePage', () => {
  let sent: Array<SendMessageBatchCommand | SendMessageCommand>;
  let commits: Array<{ chunkId: string; records: AuditRecord[] }>;
  let pages: Map<number, number>;
  const sqs = {
    send: async (command: SendMessageBatchCommand | SendMessageCommand) => {
      sent.push(command);
      return command instanceof SendMessageBatchCommand ? { Successful: [], Failed: [] } : {};
    },
  } as unknown as SQSClient;
  const runs = {
    isPageDone: async (_runId: string, marker: number) => pages.has(marker),
    recordPage: async (_runId: string, marker: number, discovered: number) =>
      void pages.set(marker, discovered),
    completeScanAt: async () => undefined,
  } as unknown as RunStore;

  beforeEach(() => {
    sent = [];
    commits = [];
    pages = new Map();
  });

  async function setUp() {
    const { objects, manifestKey } = buildInventory({
      sourceBucket: 'data-bucket',
      destinationBucket: 'reports',
      prefix: 'inv',
      format: 'CSV',
      entries,
    });
    const s3 = memoryS3(objects);
    const manifest = await readManifest(s3, `s3://reports/${manifestKey}`);
    const message: InventoryFileMessage = {
      type: 'inventory-file',
      runId: 'run-1',
      bucket: 'data-bucket',
      prefix: '',
      mode: 'sse-s3',
      ...dataFileMessages(manifest)[0]!,
    };
    const deps = {
      s3,
      sqs,
      runs,
      queues: { scan: 'scan-q', encrypt: 'encrypt-q', large: 'large-q' } as never,
      chunks: {} as never,
      auditLocation: { bucket: 'audit', prefix: 'audit/' },
      config: { scanPageSize: 1000, largeObjectBytes: 1000, leaseSeconds: 60, actor: 'unit' },
      now: () => new Date('2026-11-23T19:00:00Z'),
      commitDecided: async (ref: { chunkId: string }, records: AuditRecord[]) => {
        commits.push({ chunkId: ref.chunkId, records });
        return 'committed' as const;
      },
    };
    return { message, deps };
  }

  const chunksSent = () =>
    sent
      .filter((c): c is SendMessageBatchCommand => c instanceof SendMessageBatchCommand)
      .flatMap((batch) =>
        batch.input.Entries!.map((entry) => ({
          queue: batch.input.QueueUrl,
          chunk: JSON.parse(entry.MessageBody!) as EncryptChunk,
        })),
      );

  it('queues rows in encrypt chunks of 100 by row range, large rows alone, and commits settled rows in chunks', async () => {
    const { message, deps } = await setUp();
    const result = await inventoryFilePage(message, deps);
    expect(result).toEqual({ enqueued: 250, settled: 150, hasNextPage: false, duplicate: false });
    const origin = `inventory:${message.file.key}:0`;
    const chunks = chunksSent();
    expect(
      chunks.map(({ queue, chunk }) => [queue, chunk.origin, chunk.intents.length, chunk.large]),
    ).toEqual([
      ['encrypt-q', `${origin}:0`, 100, undefined],
      ['encrypt-q', `${origin}:1`, 100, undefined],
      ['encrypt-q', `${origin}:2`, 49, undefined],
      ['large-q', `${origin}:large:120`, 1, true],
    ]);
    for (const { chunk } of chunks) {
      expect(chunk).toMatchObject({
        type: 'encrypt-chunk',
        runId: 'run-1',
        bucket: 'data-bucket',
        mode: 'sse-s3',
      });
      expect(chunk.chunkId).toBe(chunkIdFor('run-1', chunk.origin));
    }
    expect(chunks[0]!.chunk.intents[0]).toEqual({ key: 'plain/000', etag: 'p0', size: 10 });
    expect(chunks[3]!.chunk.intents).toEqual([{ key: 'plain/120', etag: 'p120', size: 10_000 }]);
    expect(commits.map((c) => [c.chunkId, c.records.length])).toEqual([
      [chunkIdFor('run-1', `${origin}:settled:0`), 100],
      [chunkIdFor('run-1', `${origin}:settled:1`), 50],
    ]);
    expect(commits[0]!.records[0]).toMatchObject({
      key: 'done/000',
      decision: 'compliant',
      etagBefore: '"d0"',
    });
    // Objects are discovered, not chunks: 250 queued and 150 settled.
    expect([...pages.values()]).toEqual([400]);
  });

  it('queues the same chunks when the message is delivered again before its page was recorded', async () => {
    const { message, deps } = await setUp();
    await inventoryFilePage(message, deps);
    const first = { chunks: chunksSent(), commits };
    pages.clear();
    sent = [];
    commits = [];
    await inventoryFilePage(message, deps);
    expect(chunksSent()).toEqual(first.chunks);
    expect(commits).toEqual(first.commits);
  });

  it('continues a large file in a next message whose chunks are named by its first row', async () => {
    const { message, deps } = await setUp();
    const result = await inventoryFilePage(message, deps, { rowsPerMessage: 130 });
    expect(result).toMatchObject({ enqueued: 130, settled: 0, hasNextPage: true });
    expect(chunksSent().map(({ chunk }) => chunk.origin)).toEqual([
      `inventory:${message.file.key}:0:0`,
      `inventory:${message.file.key}:0:1`,
      `inventory:${message.file.key}:0:large:120`,
    ]);
    const next = JSON.parse(sent.find((c) => c instanceof SendMessageCommand)!.input.MessageBody!);
    expect(next).toMatchObject({ type: 'inventory-file', rowStart: 130, chunk: 2 });
    sent = [];
    await inventoryFilePage(next, deps, { rowsPerMessage: 130 });
    expect(chunksSent().map(({ chunk }) => [chunk.origin, chunk.intents[0]!.key])).toEqual([
      [`inventory:${message.file.key}:130:0`, 'plain/130'],
      [`inventory:${message.file.key}:130:1`, 'plain/230'],
    ]);
  });
});
