import type { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { packBatches, sendInBatches } from '../../../../shared/jobs/send-batches.js';

describe('packBatches', () => {
  it('puts ten bodies in a batch, in order', () => {
    const bodies = Array.from({ length: 23 }, (_, i) => `m${i}`);
    const batches = packBatches(bodies);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(bodies);
  });

  it('keeps a batch under 256 KiB: chunk messages of long keys go fewer to a request', () => {
    const body = 'x'.repeat(100 * 1024);
    expect(packBatches([body, body, body, 'small']).map((b) => b.length)).toEqual([2, 2]);
    // A body larger than the limit goes alone (SQS says what it thinks of it).
    const huge = 'y'.repeat(300 * 1024);
    expect(packBatches(['a', huge, 'b']).map((b) => b.length)).toEqual([1, 1, 1]);
  });
});

describe('sendInBatches', () => {
  it('sends entries SQS refused again, and fails after three attempts', async () => {
    const requests: string[][] = [];
    let refuse = 2;
    const sqs = {
      send: async (command: SendMessageBatchCommand) => {
        requests.push(command.input.Entries!.map((e) => e.MessageBody!));
        return refuse-- > 0 ? { Failed: [{ Id: '1' }] } : { Failed: [] };
      },
    } as unknown as SQSClient;
    await sendInBatches(sqs, 'q', [{ a: 1 }, { b: 2 }]);
    expect(requests).toEqual([['{"a":1}', '{"b":2}'], ['{"b":2}'], ['{"b":2}']]);
    refuse = 3;
    await expect(sendInBatches(sqs, 'q', [{ a: 1 }, { b: 2 }])).rejects.toThrow(/refused 1 messages/);
  });
});
