import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { processSqsBatch, retryDelaySeconds } from '../../../functions/sqs-batch.js';
import { LeaseHeldError, RetryableError } from '../../../shared/errors.js';
import { InventoryError } from '../../../shared/inventory/errors.js';
import { DeadlineReachedError } from '../../../shared/lifecycle/deadline.js';

describe('retryDelaySeconds', () => {
  it('backs off exponentially by receive count, capped at 15 minutes', () => {
    const error = new RetryableError('throttled');
    expect([1, 2, 3, 4, 9, 10, 20].map((n) => retryDelaySeconds(error, n))).toEqual([
      2, 4, 8, 16, 512, 900, 900,
    ]);
  });

  it('backs a chunk in progress elsewhere off like any other record', () => {
    // A chunk in progress elsewhere may take minutes (its holder renews its lease): plain backoff.
    expect(retryDelaySeconds(new LeaseHeldError('held', 3), 5)).toBe(32);
    expect(retryDelaySeconds(new LeaseHeldError('held', 800), 2)).toBe(4);
  });

  it('sends a record not started for the deadline straight back, to a fresh invocation', () => {
    expect(retryDelaySeconds(new DeadlineReachedError('not started'), 7)).toBe(0);
  });

  it('spans more than the 15-minute lease within ten receives', () => {
    const total = Array.from({ length: 9 }, (_, i) =>
      retryDelaySeconds(new RetryableError('x'), i + 1),
    ).reduce((a, b) => a + b);
    expect(total).toBeGreaterThan(900);
  });
});

function record(id: string, receives: number): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: id,
    attributes: { ApproximateReceiveCount: String(receives) },
  } as unknown as SQSRecord;
}

describe('processSqsBatch retries', () => {
  it('backs every failed record of a batch off with one ChangeMessageVisibilityBatch per ten', async () => {
    const sent: unknown[] = [];
    const sqs = { send: vi.fn(async (command: unknown) => sent.push(command)) } as unknown as SQSClient;
    const records = Array.from({ length: 12 }, (_, i) => record(`m${i}`, i < 11 ? 1 : 3));
    const { response } = await processSqsBatch(
      { Records: [record('ok', 1), ...records] },
      {} as Context,
      async (r) => {
        if (r.messageId === 'ok') return 'done';
        throw r.messageId === 'm0' ? new LeaseHeldError('held', 0) : new RetryableError('throttled');
      },
      { retry: { sqs, queueUrl: 'q' } },
    );
    expect(response.batchItemFailures).toHaveLength(12);
    expect(sent).toHaveLength(2);
    expect(sent.every((c) => c instanceof ChangeMessageVisibilityBatchCommand)).toBe(true);
    const entries = (sent as ChangeMessageVisibilityBatchCommand[]).flatMap((c) => c.input.Entries ?? []);
    expect(entries.map((e) => [e.ReceiptHandle, e.VisibilityTimeout])).toEqual(
      records.map((r, i) => [r.receiptHandle, i < 11 ? 2 : 8]),
    );
    for (const c of sent as ChangeMessageVisibilityBatchCommand[]) {
      const ids = (c.input.Entries ?? []).map((e) => e.Id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('sends nothing when every record succeeds', async () => {
    const sqs = { send: vi.fn() } as unknown as SQSClient;
    await processSqsBatch({ Records: [record('a', 1)] }, {} as Context, async () => 'done', {
      retry: { sqs, queueUrl: 'q' },
    });
    expect(sqs.send).not.toHaveBeenCalled();
  });
});

describe('processSqsBatch deadLetterAtOnce', () => {
  it('sends a record whose error no retry can fix to the DLQ at once, with its reason, and acknowledges it', async () => {
    const sent: unknown[] = [];
    const sqs = { send: vi.fn(async (command: unknown) => sent.push(command)) } as unknown as SQSClient;
    const { response } = await processSqsBatch(
      { Records: [record('bad-file', 1), record('busy', 1)] },
      {} as Context,
      async (r) => {
        throw r.messageId === 'bad-file'
          ? new InventoryError('inventory data file s3://i/d: broken')
          : new RetryableError('x');
      },
      {
        deadLetter: { sqs, url: async () => 'dlq', queue: 'scan' },
        deadLetterAtOnce: (error) => error instanceof InventoryError,
      },
    );
    // Only the retryable record comes back; the other went to the DLQ once, naming why.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'busy' }]);
    const dead = sent.filter((c) => c instanceof SendMessageCommand) as SendMessageCommand[];
    expect(dead).toHaveLength(1);
    expect(dead[0]!.input).toMatchObject({
      QueueUrl: 'dlq',
      MessageBody: 'bad-file',
      MessageAttributes: { 's3seal-error': { StringValue: 'inventory data file s3://i/d: broken' } },
    });
  });
});
