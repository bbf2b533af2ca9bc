import type { SQSClient } from '@aws-sdk/client-sqs';
import { handler as encryptHandler } from '../functions/encrypt/handler.js';
import { handler as eventsHandler } from '../functions/events/handler.js';
import { handler as rewrapHandler } from '../functions/rewrap/handler.js';
import { handler as scanHandler } from '../functions/scan/handler.js';
import type { Faults } from '../shared/faults.js';
import type { QueueUrls } from '../shared/queues.js';
import { limitObjectsInFlight, untilRoomToHold } from '../shared/worker/object-lanes.js';
import { QueuePacing } from '../shared/worker/queue-pacing.js';
import { pollQueue, type SqsHandler } from '../shared/worker/queue-poller.js';
import { waitWhile } from '../shared/worker/wait-while.js';
import { keepingMessagesHidden, largeObjectJobHandler } from './large-object-handler.js';

/** What a spare poller receives: one message at a time, and only while there is room (untilRoomToHold). */
interface Spare {
  batchSize?: number;
  gate?: (signal: AbortSignal) => Promise<void>;
}

/** Objects each object-queue poller works at once (`--pollers`: "ten objects each"). */
const POLLER_OBJECTS = 10;

export interface PollerStats {
  batches: number;
  messages: number;
  failed: number;
}

/**
 * Starts pollers on every pipeline queue, each running the same handler its Lambda runs: one for
 * scan pages (short), `concurrency` each for encrypt jobs, object events and rewrap jobs; and
 * pollers for the large-object queue, which no Lambda serves. Resolves when
 * `signal` aborts and every poller has finished the batch in hand (or given it up, once `abandon` aborts).
 */
export function startPollers(options: {
  sqs: SQSClient;
  queues: QueueUrls;
  concurrency: number;
  signal: AbortSignal;
  /** Give up the batches in hand at once, returning their messages to the queues. */
  abandon?: AbortSignal;
  /**
   * While it returns true, the object and large-object pollers send no receive: a local run whose
   * every object is committed or held here has nothing left on the queues (cli/local-run.ts).
   */
  holdOff?: () => boolean;
  /** Stops the scan poller alone (a local run whose scan is complete has no scan page left). */
  scanSignal?: AbortSignal;
  visibilitySeconds?: number;
  stats?: PollerStats;
  faults?: Faults;
  /** Pollers on the large-object queue (default `concurrency`), one object each. */
  largeConcurrency?: number;
  /**
   * The object queues served besides scan and large (default all): a local run serves only its
   * run's kind, since every idle queue costs receives (docs/architecture.md, "Flow").
   */
  serve?: ReadonlyArray<'encrypt' | 'events' | 'rewrap'>;
}): Promise<void> {
  const { sqs, queues, signal } = options;
  const visibility = options.visibilitySeconds ?? 120;
  // One pacing per queue: its idle pollers park, and its scout spaces its receives (queue-pacing.ts).
  // Scan pages (and rewrap plan pages) queue jobs and their next pages: they wake those queues.
  const jobs = {
    encrypt: new QueuePacing({ fullBatch: 10 }),
    events: new QueuePacing({ fullBatch: 10 }),
    rewrap: new QueuePacing({ fullBatch: 10 }),
    large: new QueuePacing({ fullBatch: 1 }),
  };
  // Spare pollers (below) pace among themselves: they never keep a queue's own pollers parked.
  const spares = {
    encrypt: new QueuePacing({ fullBatch: 1 }),
    events: new QueuePacing({ fullBatch: 1 }),
    rewrap: new QueuePacing({ fullBatch: 1 }),
  };
  const pacing = {
    ...jobs,
    scan: new QueuePacing({
      fullBatch: 10,
      feeds: [jobs.encrypt, jobs.rewrap, jobs.large, spares.encrypt, spares.rewrap],
    }),
  };
  const poll = (
    queueUrl: string,
    handler: unknown,
    functionName: string,
    queuePacing: QueuePacing,
    { batchSize, stop = signal, gate }: Spare & { stop?: AbortSignal } = {},
  ) =>
    pollQueue({
      batchSize,
      gate,
      pacing: queuePacing,
      sqs,
      queueUrl,
      handler: handler as SqsHandler,
      functionName,
      signal: stop,
      abandon: options.abandon,
      visibilitySeconds: visibility,
      faults: options.faults,
      onBatch: (received, failed) => {
        if (!options.stats) return;
        options.stats.batches++;
        options.stats.messages += received;
        options.stats.failed += failed;
      },
    });
  const n = options.concurrency;
  const serve = new Set(options.serve ?? ['encrypt', 'events', 'rewrap']);
  // Ten objects in flight per object poller, over every chunk its batches hold.
  limitObjectsInFlight(n * POLLER_OBJECTS * serve.size);
  // Each object queue has `n` pollers, as Lambda's event source would run `n` invocations, plus `n`
  // spare pollers that take one chunk at a time while the process holds some work but room for more
  // (object-lanes.ts, untilRoomToHold): a chunk left on the queue while every poller works its batch
  // starts at once, not after a batch ends (docs/architecture.md, "Chunks").
  const heldOff = (stop: AbortSignal) => waitWhile(() => options.holdOff?.() === true, stop);
  const spareGate = async (stop: AbortSignal) => {
    await heldOff(stop);
    await untilRoomToHold(stop);
  };
  const pollersOf = (
    queue: 'encrypt' | 'events' | 'rewrap',
    start: (queuePacing: QueuePacing, spare?: Spare) => Promise<void>,
  ) =>
    serve.has(queue)
      ? [
          ...Array.from({ length: n }, () => start(jobs[queue], { gate: heldOff })),
          ...Array.from({ length: n }, () => start(spares[queue], { batchSize: 1, gate: spareGate })),
        ]
      : [];
  return Promise.all([
    poll(queues.scan, scanHandler, 's3-seal-scan', pacing.scan, { stop: either(signal, options.scanSignal) }),
    ...pollersOf('encrypt', (paced, spare) =>
      poll(queues.encrypt, encryptHandler, 's3-seal-encrypt', paced, spare),
    ),
    ...pollersOf('events', (paced, spare) =>
      poll(queues.events, eventsHandler, 's3-seal-events', paced, spare),
    ),
    ...pollersOf('rewrap', (paced, spare) =>
      poll(queues.rewrap, rewrapHandler, 's3-seal-rewrap', paced, spare),
    ),
    // Large objects one at a time per poller: each streams gigabytes (docs/large-buckets.md).
    ...Array.from({ length: options.largeConcurrency ?? n }, () =>
      poll(
        queues.large,
        keepingMessagesHidden(largeObjectJobHandler, sqs, visibility),
        's3-seal-large',
        pacing.large,
        { batchSize: 1, gate: heldOff },
      ),
    ),
  ]).then(() => undefined);
}

/** A signal that aborts when either does (AbortSignal.any needs Node 20.3; engines allow 20.0). */
function either(first: AbortSignal, second?: AbortSignal): AbortSignal {
  if (!second) return first;
  const both = new AbortController();
  for (const signal of [first, second]) {
    if (signal.aborted) both.abort();
    else signal.addEventListener('abort', () => both.abort(), { once: true });
  }
  return both.signal;
}
