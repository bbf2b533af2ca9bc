import type { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keepingMessagesHidden, LargeObjectJobSchema } from '../../../cli/large-object-handler.js';
import { parseMessage } from '../../../shared/jobs/messages.js';

const event = {
  Records: [{ messageId: 'm1', receiptHandle: 'r1', eventSourceARN: 'http://sqs.local/000000000000/large' }],
} as unknown as SQSEvent;

describe('keepingMessagesHidden', () => {
  let extended: ChangeMessageVisibilityCommand[];
  const sqs = {
    send: async (command: ChangeMessageVisibilityCommand) => {
      extended.push(command);
      return {};
    },
  } as unknown as SQSClient;

  beforeEach(() => {
    extended = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('extends the batch every third of the visibility timeout while the job runs, then stops', async () => {
    let finish: () => void = () => undefined;
    const job = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const handler = keepingMessagesHidden(
      async () => {
        await job;
        return { batchItemFailures: [] };
      },
      sqs,
      300,
    );
    const running = handler(event, {} as Context);
    await vi.advanceTimersByTimeAsync(250_000);
    expect(extended).toHaveLength(2);
    expect(extended[0]!.input).toEqual({
      QueueUrl: 'http://sqs.local/000000000000/large',
      ReceiptHandle: 'r1',
      VisibilityTimeout: 300,
    });
    finish();
    await running;
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(extended).toHaveLength(2);
  });
});

describe('LargeObjectJobSchema', () => {
  const base = {
    runId: 'run-1',
    bucket: 'bucket-a',
    chunkId: 'a'.repeat(24),
    origin: 'large:bucket-a/k',
    intents: [{ key: 'k', size: 5 }],
    large: true,
  };
  const A = 'arn:aws:kms:us-east-1:000000000000:key/a';

  it('reads encrypt and rewrap chunks from the one large-object queue, by type', () => {
    const encrypt = parseMessage(
      LargeObjectJobSchema,
      JSON.stringify({ ...base, type: 'encrypt-chunk', mode: 'sse-s3' }),
    );
    expect(encrypt.type).toBe('encrypt-chunk');
    const rewrap = parseMessage(
      LargeObjectJobSchema,
      JSON.stringify({ ...base, type: 'rewrap-chunk', fromKeyArn: A, toKeyArn: A }),
    );
    expect(rewrap).toMatchObject({ type: 'rewrap-chunk', intents: [{ key: 'k', size: 5 }], large: true });
  });

  it('names what is wrong with a message it cannot take', () => {
    expect(() => parseMessage(LargeObjectJobSchema, JSON.stringify({ ...base, type: 'scan' }))).toThrow(
      /malformed message: type: /,
    );
    expect(() =>
      parseMessage(LargeObjectJobSchema, JSON.stringify({ ...base, type: 'encrypt-chunk', mode: 'sse-kms' })),
    ).toThrow(/keyArn: keyArn is required for the envelope and sse-kms modes/);
    expect(() =>
      parseMessage(
        LargeObjectJobSchema,
        JSON.stringify({ ...base, type: 'rewrap-chunk', fromKeyArn: 'alias/x', toKeyArn: A }),
      ),
    ).toThrow(/malformed message: fromKeyArn: /);
  });
});
