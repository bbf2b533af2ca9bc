import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it, vi } from 'vitest';
import { QueuePacing } from '../../../../shared/worker/queue-pacing.js';
import { pollQueue } from '../../../../shared/worker/queue-poller.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** An SQS client whose receives answer at once: `batches` one per receive, then empty ones. */
function fakeSqs(batches: number[] = []) {
  let receives = 0;
  let next = 0;
  const send = vi.fn(async (command: unknown) => {
    if (!(command instanceof ReceiveMessageCommand)) return {};
    receives++;
    const size = batches.shift() ?? 0;
    return {
      Messages: Array.from({ length: size }, () => {
        next++;
        return { MessageId: `m${next}`, ReceiptHandle: `rh${next}`, Body: '{}' };
      }),
    };
  });
  const client = { send, config: { region: async () => 'us-east-1' } } as unknown as SQSClient;
  return { client, receives: () => receives };
}

describe('QueuePacing', () => {
  it('parks every poller of an idle queue but one', async () => {
    const pacing = new QueuePacing({ fullBatch: 10 });
    const stop = new AbortController();
    for (let i = 0; i < 4; i++) pacing.join();
    const waits = Array.from({ length: 3 }, () => pacing.idle(stop.signal));
    await tick();
    expect(pacing.available).toBe(1);
    stop.abort();
    await Promise.all(waits);
    expect(pacing.available).toBe(4);
  });

  it('wakes one parked poller per full batch, none for a partial one', async () => {
    const pacing = new QueuePacing({ fullBatch: 10 });
    const stop = new AbortController();
    for (let i = 0; i < 3; i++) pacing.join();
    let woken = 0;
    const waits = [pacing.idle(stop.signal), pacing.idle(stop.signal)].map((w) => w.then(() => woken++));
    await tick();
    pacing.join(); // a fourth poller, free: the scout's partial batch leaves it watching
    pacing.received(4);
    await tick();
    expect(woken).toBe(0);
    expect(pacing.available).toBe(1);
    pacing.received(10); // the fourth one's batch is full
    await tick();
    expect(woken).toBe(1);
    expect(pacing.available).toBe(1); // the woken poller; both others are busy
    stop.abort();
    await Promise.all(waits);
  });

  it('hands the watch to a parked poller when the scout becomes busy with a partial batch', async () => {
    const pacing = new QueuePacing({ fullBatch: 10 });
    const stop = new AbortController();
    pacing.join();
    pacing.join();
    let woken = false;
    const parked = pacing.idle(stop.signal).then(() => {
      woken = true;
    });
    await tick();
    expect(woken).toBe(false);
    pacing.received(3);
    await parked;
    expect(woken).toBe(true);
    expect(pacing.available).toBe(1);
  });

  it('spaces the idle scout’s receives, doubling up to the limit, and wake() ends the wait', async () => {
    vi.useFakeTimers();
    try {
      const pacing = new QueuePacing({ fullBatch: 10, firstIdleWaitMs: 100, maxIdleWaitMs: 300 });
      const stop = new AbortController();
      pacing.join();
      const waited: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const wait = pacing.idle(stop.signal);
        await vi.runAllTimersAsync();
        await wait;
        waited.push(Date.now() - started);
      }
      expect(waited).toEqual([0, 100, 200, 300, 300]);
      let done = false;
      const wait = pacing.idle(stop.signal).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(10);
      expect(done).toBe(false);
      pacing.wake();
      await wait;
      expect(done).toBe(true);
      // After a wake, the next empty receive is retried at once again.
      const started = Date.now();
      await pacing.idle(stop.signal);
      expect(Date.now() - started).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('wakes the queues it feeds when a batch arrives and when it is handled', async () => {
    vi.useFakeTimers();
    try {
      const encrypt = new QueuePacing({ fullBatch: 10, firstIdleWaitMs: 60_000, maxIdleWaitMs: 60_000 });
      const scan = new QueuePacing({ fullBatch: 10, feeds: [encrypt] });
      const stop = new AbortController();
      encrypt.join();
      await encrypt.idle(stop.signal);
      let woken = 0;
      const first = encrypt.idle(stop.signal).then(() => woken++);
      await vi.advanceTimersByTimeAsync(1000);
      expect(woken).toBe(0);
      scan.received(1);
      await first;
      await encrypt.idle(stop.signal); // the first empty receive after a wake is retried at once
      const second = encrypt.idle(stop.signal).then(() => woken++);
      await vi.advanceTimersByTimeAsync(1000);
      expect(woken).toBe(1);
      scan.handled();
      await second;
      expect(woken).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends a wait at once when the poller is stopped', async () => {
    const pacing = new QueuePacing({ fullBatch: 10, firstIdleWaitMs: 60_000, maxIdleWaitMs: 60_000 });
    const stop = new AbortController();
    pacing.join();
    await pacing.idle(stop.signal);
    const wait = pacing.idle(stop.signal);
    stop.abort();
    await wait;
  });
});

describe('pollQueue with a shared pacing', () => {
  it('four pollers of an empty queue send a handful of receives, not one after another', async () => {
    const { client, receives } = fakeSqs();
    const pacing = new QueuePacing({ fullBatch: 10, firstIdleWaitMs: 50, maxIdleWaitMs: 100 });
    const stop = new AbortController();
    const handler = vi.fn(async () => ({ batchItemFailures: [] }));
    const pollers = Array.from({ length: 4 }, () =>
      pollQueue({ sqs: client, queueUrl: 'q', handler, functionName: 'f', signal: stop.signal, pacing }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop.abort();
    await Promise.all(pollers);
    // Four first receives, then one scout backing off 50, 100, 100 ms: under ten in 300 ms.
    expect(receives()).toBeGreaterThanOrEqual(4);
    expect(receives()).toBeLessThan(10);
    expect(pacing.available).toBe(0);
  });

  it('keeps receiving while another poller is busy with a long batch', async () => {
    const { client } = fakeSqs([1, 0, 0, 1]);
    const pacing = new QueuePacing({ fullBatch: 1, firstIdleWaitMs: 10, maxIdleWaitMs: 10 });
    const stop = new AbortController();
    let release = () => {};
    const longJob = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: string[] = [];
    const handler = vi.fn(async (event: { Records: Array<{ messageId: string }> }) => {
      const id = event.Records[0]!.messageId;
      if (id === 'm1') await longJob;
      handled.push(id);
      return { batchItemFailures: [] };
    });
    const pollers = Array.from({ length: 2 }, () =>
      pollQueue({ sqs: client, queueUrl: 'q', handler, functionName: 'f', signal: stop.signal, pacing }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The second object was served while the first (a large object, say) still runs.
    expect(handled).toEqual(['m2']);
    release();
    stop.abort();
    await Promise.all(pollers);
    expect(handled).toEqual(['m2', 'm1']);
  });

  it('brings parked pollers back when full batches arrive', async () => {
    const { client } = fakeSqs();
    const pacing = new QueuePacing({ fullBatch: 10 });
    const stop = new AbortController();
    let inHandler = 0;
    let mostAtOnce = 0;
    const handler = vi.fn(async () => {
      inHandler++;
      mostAtOnce = Math.max(mostAtOnce, inHandler);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inHandler--;
      return { batchItemFailures: [] };
    });
    const pollers = Array.from({ length: 3 }, () =>
      pollQueue({ sqs: client, queueUrl: 'q', handler, functionName: 'f', signal: stop.signal, pacing }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pacing.available).toBe(1);
    // A backlog: every receive from now on brings a full batch.
    client.send = vi.fn(async (command: unknown) =>
      command instanceof ReceiveMessageCommand
        ? {
            Messages: Array.from({ length: 10 }, (_, i) => ({
              MessageId: `${i}`,
              ReceiptHandle: `${i}`,
              Body: '{}',
            })),
          }
        : {},
    ) as never;
    pacing.wake();
    await new Promise((resolve) => setTimeout(resolve, 150));
    stop.abort();
    await Promise.all(pollers);
    expect(mostAtOnce).toBe(3);
  });
});
