import { type Clients, createClients } from './clients.js';
import type { Config } from './config.js';
import { loadConfig } from './config.js';
import { type QueueUrls, resolveQueueUrls } from './queues.js';

interface HandlerRuntime {
  config: Config;
  clients: Clients;
  /** Work queue and dead-letter queue URLs, resolved once. */
  queues(): Promise<{ work: QueueUrls; deadLetter: QueueUrls }>;
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
    let queues: ReturnType<HandlerRuntime['queues']> | undefined;
    runtime = {
      config,
      clients,
      queues: () => {
        queues ??= Promise.all([
          resolveQueueUrls(clients.sqs, config),
          resolveQueueUrls(clients.sqs, config, '-dlq'),
        ]).then(([work, deadLetter]) => ({ work, deadLetter }));
        // A failed lookup (queues not created yet) must not be cached for the process's lifetime.
        queues.catch(() => {
          queues = undefined;
        });
        return queues;
      },
    };
  }
  return runtime;
}
