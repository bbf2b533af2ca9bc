import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../../shared/audit/audit-record.js';
import type { RewrapChunk } from '../../../../shared/chunks/chunk-message.js';
import { readManifest } from '../../../../shared/inventory/manifest.js';
import type { InventoryRow } from '../../../../shared/inventory/row.js';
import { dataFileMessages } from '../../../../shared/inventory/run-inventory.js';
import type { RewrapInventoryFileMessage } from '../../../../shared/jobs/messages.js';
import { decideRewrapRow, rewrapInventoryFilePage } from '../../../../shared/rewrap/inventory-file.js';
import type { RunStore } from '../../../../shared/runs/run-store.js';
import { buildInventory, type InventoryEntry, memoryS3 } from '../../../helpers/inventory.js';

const FROM = 'arn:aws:kms:us-east-1:111122223333:key/a';
const TO = 'arn:aws:kms:us-east-1:111122223333:key/b';

const entries: InventoryEntry[] = [
  { key: 'kms/1', size: 1, etag: 'e1', encryptionStatus: 'SSE-KMS' },
  { key: 'env/2', size: 2, etag: 'e2', encryptionStatus: 'NOT-SSE' },
  { key: 'sse-s3/3', size: 3, etag: 'e3', encryptionStatus: 'SSE-S3' },
  { key: 'dsse/4', size: 4, etag: 'e4', encryptionStatus: 'DSSE-KMS' },
  { key: 'custc/5', size: 5, etag: 'e5', encryptionStatus: 'SSE-C' },
  { key: 'kms/old', versionId: 'v1', isLatest: false, size: 6, etag: 'e6', encryptionStatus: 'SSE-KMS' },
  { key: 'kms/gone', versionId: 'v2', isDeleteMarker: true, size: 0, etag: '', encryptionStatus: 'NOT-SSE' },
  { key: 'elsewhere/7', size: 7, etag: 'e7', encryptionStatus: 'SSE-KMS' },
];

const row = (encryptionStatus?: InventoryRow['encryptionStatus']) =>
  ({ bucket: 'b', key: 'k', isLatest: true, isDeleteMarker: false, encryptionStatus }) as InventoryRow;

describe('decideRewrapRow', () => {
  it('settles only SSE-C rows (no KMS key wraps them); every other row needs the HEAD', () => {
    expect(decideRewrapRow(row('SSE-C'))).toMatchObject({ action: 'skip', reason: 'not-kms-protected' });
    for (const status of ['SSE-KMS', 'NOT-SSE', 'SSE-S3', 'DSSE-KMS', undefined] as const) {
      expect(decideRewrapRow(row(status)), String(status)).toBe('job');
    }
  });
});

describe('rewrapInventoryFilePage', () => {
  /** The SQS commands sent, answered as SQS would (every batch entry accepted). */
  let sent: Array<SendMessageBatchCommand | SendMessageCommand>;
  const sqs = {
    send: async (command: SendMessageBatchCommand | SendMessageCommand) => {
      sent.push(command);
      return command instanceof SendMessageBatchCommand ? { Successful: [], Failed: [] } : {};
    },
  } as unknown as SQSClient;
  const batches = () =>
    sent.filter((c): c is SendMessageBatchCommand => c instanceof SendMessageBatchCommand);
  let appended: AuditRecord[];
  let pages: Map<number, number>;
  let completedAt: number[];

  beforeEach(() => {
    sent = [];
    appended = [];
    pages = new Map();
    completedAt = [];
  });

  const runs = {
    isPageDone: async (_runId: string, marker: number) => pages.has(marker),
    recordPage: async (_runId: string, marker: number, discovered: number) =>
      void pages.set(marker, discovered),
    completeScanAt: async (_runId: string, files: number) => void completedAt.push(files),
  } as unknown as RunStore;

  async function firstMessage(): Promise<{
    message: RewrapInventoryFileMessage;
    s3: ReturnType<typeof memoryS3>;
  }> {
    const { objects, manifestKey } = buildInventory({
      sourceBucket: 'data-bucket',
      destinationBucket: 'reports',
      prefix: 'inv',
      format: 'CSV',
      entries,
    });
    const s3 = memoryS3(objects);
    const manifest = await readManifest(s3, `s3://reports/${manifestKey}`);
    const message: RewrapInventoryFileMessage = {
      type: 'rewrap-inventory-file',
      runId: 'run-1',
      bucket: 'data-bucket',
      prefix: '',
      fromKeyArn: FROM,
      toKeyArn: TO,
      ...dataFileMessages(manifest)[0]!,
    };
    return { message, s3 };
  }

  const deps = (s3: ReturnType<typeof memoryS3>) => ({
    s3,
    sqs,
    runs,
    queues: { scan: 'scan-q', rewrap: 'rewrap-q', encrypt: 'encrypt-q', large: 'large-q' } as never,
    chunks: {} as never,
    auditLocation: { bucket: 'audit', prefix: 'audit/' },
    config: { leaseSeconds: 60, actor: 'unit' },
    commitDecided: async (_ref: unknown, records: AuditRecord[]) => {
      appended.push(...records);
      return 'committed' as const;
    },
  });

  const sentChunks = () =>
    batches().flatMap((batch) =>
      batch.input.Entries!.map((entry) => JSON.parse(entry.MessageBody!) as RewrapChunk),
    );
  const sentJobs = () => sentChunks().flatMap((chunk) => chunk.intents);

  it('puts every current row under the prefix in a rewrap chunk on the rewrap queue, and settles SSE-C rows', async () => {
    const { message, s3 } = await firstMessage();
    const result = await rewrapInventoryFilePage(
      { ...message, prefix: '', wrappedBefore: '2026-11-01T00:00:00.000Z' },
      deps(s3),
    );
    expect(result).toEqual({ enqueued: 5, settled: 1, hasNextPage: false, duplicate: false });
    const queues = batches().map((batch) => batch.input.QueueUrl);
    expect(new Set(queues)).toEqual(new Set(['rewrap-q']));
    const jobs = sentJobs();
    expect(jobs.map((job) => job.key).sort()).toEqual([
      'dsse/4',
      'elsewhere/7',
      'env/2',
      'kms/1',
      'sse-s3/3',
    ]);
    expect(sentChunks()[0]).toMatchObject({
      type: 'rewrap-chunk',
      runId: 'run-1',
      bucket: 'data-bucket',
      fromKeyArn: FROM,
      toKeyArn: TO,
      wrappedBefore: '2026-11-01T00:00:00.000Z',
    });
    expect(appended).toHaveLength(1);
    expect(appended[0]).toMatchObject({
      key: 'custc/5',
      decision: 'skipped',
      mode: 'rewrap',
      method: 'inventory-row',
      reason: 'not-kms-protected',
      etagBefore: '"e5"',
    });
    expect([...pages.values()]).toEqual([6]);
    expect(completedAt).toEqual([1]);
  });

  it('keeps to the run prefix, and a redelivered file does nothing', async () => {
    const { message, s3 } = await firstMessage();
    expect(await rewrapInventoryFilePage({ ...message, prefix: 'kms/' }, deps(s3))).toMatchObject({
      enqueued: 1,
      settled: 0,
    });
    expect(sentJobs().map((job) => job.key)).toEqual(['kms/1']);
    sent = [];
    expect(await rewrapInventoryFilePage({ ...message, prefix: 'kms/' }, deps(s3))).toMatchObject({
      duplicate: true,
      enqueued: 0,
    });
    expect(sent).toHaveLength(0);
  });

  it('continues a large file in a next message for the same file', async () => {
    const { message, s3 } = await firstMessage();
    const result = await rewrapInventoryFilePage(message, deps(s3), { rowsPerMessage: 3 });
    expect(result).toMatchObject({ enqueued: 3, settled: 0, hasNextPage: true });
    const next = JSON.parse(sent.find((c) => c instanceof SendMessageCommand)!.input.MessageBody!);
    expect(next).toMatchObject({ type: 'rewrap-inventory-file', rowStart: 3, chunk: 2, fromKeyArn: FROM });
    expect(completedAt).toEqual([]);
  });
});
