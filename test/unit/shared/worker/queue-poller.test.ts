import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it, vi } from 'vitest';
import { pollQueue } from '../../../../shared/worker/queue-poller.js';

/** An SQS client that hands out `batches` one per receive (then nothing) and records every command. */
function fakeSqs(batches: string[][], beforeReturn?: () => void) {
  const sent: unknown[] = [];
  const send = vi.fn(async (command: unknown) => {
    sent.push(command);
    if (command instanceof ReceiveMessageCommand) {
      const bodies = batches.shift() ?? [];
      beforeReturn?.();
      return {
        Messages: bodies.map((Body, i) => ({ MessageId: `m${i}`, ReceiptHandle: `rh-${Body}`, Body })),
      };
    }
    return {};
  });
  return { client: { send, config: { region: async () => 'us-east-1' } } as unknown as SQSClient, sent };
}

const of = <T>(sent: unknown[], type: new (...args: never[]) => T) =>
  sent.filter((c): c is T => c instanceof type);

describe('pollQueue when stopped', () => {
  it('gives a batch received after the stop straight back, without running the handler', async () => {
    const stop = new AbortController();
    const { client, sent } = fakeSqs([['a', 'b']], () => stop.abort());
    const handler = vi.fn(async () => ({ batchItemFailures: [] }));
    await pollQueue({ sqs: client, queueUrl: 'q', handler, functionName: 'f', signal: stop.signal });
    expect(handler).not.toHaveBeenCalled();
    expect(of(sent, DeleteMessageBatchCommand)).toHaveLength(0);
    const returned = of(sent, ChangeMessageVisibilityBatchCommand);
    expect(returned.map((c) => c.input.Entries)).toEqual([
      [
        { Id: '0', ReceiptHandle: 'rh-a', VisibilityTimeout: 0 },
        { Id: '1', ReceiptHandle: 'rh-b', VisibilityTimeout: 0 },
      ],
    ]);
  });

  it('lets the batch in hand finish and deletes it after a stop', async () => {
    const stop = new AbortController();
    const { client, sent } = fakeSqs([['a']]);
    const handler = vi.fn(async () => {
      stop.abort();
      return { batchItemFailures: [] };
    });
    await pollQueue({ sqs: client, queueUrl: 'q', handler, functionName: 'f', signal: stop.signal });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(of(sent, DeleteMessageBatchCommand)).toHaveLength(1);
    expect(of(sent, ChangeMessageVisibilityBatchCommand)).toHaveLength(0);
  });

  it('abandons the batch in hand at once: nothing deleted, its messages visible again', async () => {
    const stop = new AbortController();
    const abandon = new AbortController();
    const { client, sent } = fakeSqs([['a']]);
    const handler = vi.fn(
      () =>
        new Promise<never>(() => {
          stop.abort();
          abandon.abort();
        }),
    );
    await pollQueue({
      sqs: client,
      queueUrl: 'q',
      handler,
      functionName: 'f',
      signal: stop.signal,
      abandon: abandon.signal,
    });
    expect(of(sent, DeleteMessageBatchCommand)).toHaveLength(0);
    expect(of(sent, ChangeMessageVisibilityBatchCommand).map((c) => c.input.Entries)).toEqual([
      [{ Id: '0', ReceiptHandle: 'rh-a', VisibilityTimeout: 0 }],
    ]);
  });
});

describe('pollQueue receives', () => {
  it('waits for its gate before each receive', async () => {
    const stop = new AbortController();
    const { client, sent } = fakeSqs([['a']]);
    let open!: () => void;
    const gate = vi.fn(
      () =>
        new Promise<void>((resolve) => {
          open = resolve;
        }),
    );
    const handler = vi.fn(async () => {
      stop.abort();
      return { batchItemFailures: [] };
    });
    const polling = pollQueue({
      sqs: client,
      queueUrl: 'q',
      handler,
      functionName: 'f',
      signal: stop.signal,
      gate,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(of(sent, ReceiveMessageCommand)).toHaveLength(0);
    open();
    await polling;
    expect(gate).toHaveBeenCalledTimes(1);
    expect(of(sent, ReceiveMessageCommand)).toHaveLength(1);
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
