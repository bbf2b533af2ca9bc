import { type Clients, createClients } from './clients.js';
import type { Config } from './config.js';
import { loadConfig } from './config.js';
import { type QueueUrls, resolveQueueUrls } from './queues.js';

interface HandlerRuntime {
  config: Config;
  clients: Clients;
  /** Work queue and dead-letter queue URLs, resolved once. */
  queues(): Promise<{ work: QueueUrls; deadLetter: QueueUrls }>;
  /** The work queue URLs alone, resolved once (shared with `queues`). */
  workQueues(): Promise<QueueUrls>;
  /**
   * The dead-letter queue URLs alone, resolved once (shared with `queues`): handlers look them up
   * only when a message must go there, so a run that dead-letters nothing sends no GetQueueUrl for them.
   */
  deadLetterQueues(): Promise<QueueUrls>;
}

/** A lookup resolved once per process; a failed one (queues not created yet) is not kept. */
function once<T>(lookup: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = lookup();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

let runtime: HandlerRuntime | undefined;

/**
 * Configuration and clients for handlers, built once per process (Lambda execution environment or
 * worker) on first use and reused by every invocation after it.
 */
export function handlerRuntime(): HandlerRuntime {
  if (!runtime) {
    const config = loadConfig();
    const clients = createClients(config);
    // Each GetQueueUrl is an SQS request: a process (a CLI command included) looks each queue up once.
    const workQueues = once(() => resolveQueueUrls(clients.sqs, config));
    const deadLetterQueues = once(() => resolveQueueUrls(clients.sqs, config, '-dlq'));
    runtime = {
      config,
      clients,
      workQueues,
      deadLetterQueues,
      queues: async () => {
        const [work, deadLetter] = await Promise.all([workQueues(), deadLetterQueues()]);
        return { work, deadLetter };
      },
    };
  }
  return runtime;
}
