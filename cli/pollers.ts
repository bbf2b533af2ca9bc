import type { SQSClient } from '@aws-sdk/client-sqs';
import { handler as encryptHandler } from '../functions/encrypt/handler.js';
import { handler as eventsHandler } from '../functions/events/handler.js';
import { handler as rewrapHandler } from '../functions/rewrap/handler.js';
import { handler as scanHandler } from '../functions/scan/handler.js';
import type { Faults } from '../shared/faults.js';
import type { QueueUrls } from '../shared/queues.js';
import { pollQueue, type SqsHandler } from '../shared/worker/queue-poller.js';

export interface PollerStats {
  batches: number;
  messages: number;
  failed: number;
}

/**
 * Starts pollers on every pipeline queue, each running the same handler its Lambda runs: one for
 * scan pages (short), `concurrency` each for encrypt jobs, object events and rewrap jobs. Resolves when
 * `signal` aborts and every poller has finished the batch in hand (or given it up, once `abandon` aborts).
 */
export function startPollers(options: {
  sqs: SQSClient;
  queues: QueueUrls;
  concurrency: number;
  signal: AbortSignal;
  /** Give up the batches in hand at once, returning their messages to the queues. */
  abandon?: AbortSignal;
  visibilitySeconds?: number;
  stats?: PollerStats;
  faults?: Faults;
}): Promise<void> {
  const { sqs, queues, signal } = options;
  const poll = (queueUrl: string, handler: unknown, functionName: string) =>
    pollQueue({
      sqs,
      queueUrl,
      handler: handler as SqsHandler,
      functionName,
      signal,
      abandon: options.abandon,
      visibilitySeconds: options.visibilitySeconds ?? 120,
      faults: options.faults,
      onBatch: (received, failed) => {
        if (!options.stats) return;
        options.stats.batches++;
        options.stats.messages += received;
        options.stats.failed += failed;
      },
    });
  const n = options.concurrency;
  return Promise.all([
    poll(queues.scan, scanHandler, 's3-seal-scan'),
    ...Array.from({ length: n }, () => poll(queues.encrypt, encryptHandler, 's3-seal-encrypt')),
    ...Array.from({ length: n }, () => poll(queues.events, eventsHandler, 's3-seal-events')),
    ...Array.from({ length: n }, () => poll(queues.rewrap, rewrapHandler, 's3-seal-rewrap')),
  ]).then(() => undefined);
}
