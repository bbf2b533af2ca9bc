import { faultsFor } from '../../shared/faults.js';
import { loadSseCustomerKeyFile } from '../../shared/s3/sse-c-key.js';
import { provideSseCustomerKey } from '../../shared/s3/sse-c-key-source.js';
import { queueDepth } from '../local-run.js';
import { type PollerStats, startPollers } from '../pollers.js';
import { cliRuntime } from '../runtime.js';

interface WorkerOptions {
  concurrency: number;
  untilIdle?: boolean;
  idleSeconds: number;
  visibilitySeconds: number;
  sseCKeyFile?: string;
}

/**
 * Serves every pipeline queue with the Lambda handlers, with Lambda's SQS semantics: batches of up
 * to ten, partial batch failure, visibility timeout, redelivery, DLQ after max receives. SIGINT or
 * SIGTERM stops receiving, lets in-flight batches finish, then exits: no message is lost, because a
 * message is deleted only after its handler succeeded.
 */
export async function workerCommand(options: WorkerOptions): Promise<number> {
  const { config, clients, queues } = cliRuntime();
  const faults = faultsFor(config.faults);
  // Runs started with this key's fingerprint migrate SSE-C objects here; the key stays in memory.
  const customerKey = options.sseCKeyFile ? await loadSseCustomerKeyFile(options.sseCKeyFile) : undefined;
  provideSseCustomerKey(customerKey);
  if (customerKey) console.error(`worker: migrating SSE-C objects of runs with the key ${customerKey.md5}`);
  const { work } = await queues();
  const controller = new AbortController();
  const stop = (signal: string) => {
    if (controller.signal.aborted) return;
    console.error(`worker: ${signal}: finishing in-flight batches, then exiting`);
    controller.abort();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  const stats: PollerStats = { batches: 0, messages: 0, failed: 0 };
  const concurrency = options.concurrency;
  console.error(
    `worker: serving scan, encrypt, events and rewrap queues (${concurrency} pollers each but scan)`,
  );
  const running = startPollers({
    sqs: clients.sqs,
    queues: work,
    concurrency,
    signal: controller.signal,
    stats,
    visibilitySeconds: options.visibilitySeconds,
    faults,
  });
  const report = setInterval(() => {
    console.error(
      `worker: ${stats.messages} messages in ${stats.batches} batches, ${stats.failed} failed (will retry)`,
    );
  }, 5000);
  let idleSince: number | undefined;
  while (!controller.signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (!options.untilIdle || controller.signal.aborted) continue;
    const depth = await queueDepth(clients.sqs, [work.scan, work.encrypt, work.events, work.rewrap]);
    if (depth > 0) idleSince = undefined;
    else if (idleSince === undefined) idleSince = Date.now();
    else if (Date.now() - idleSince >= options.idleSeconds * 1000) stop('queues idle');
  }
  await running;
  clearInterval(report);
  customerKey?.destroy();
  console.error(`worker: stopped after ${stats.messages} messages, ${stats.failed} failed`);
  if (faults.enabled) console.error(`fault-stats ${JSON.stringify(faults.injected)}`);
  return 0;
}
