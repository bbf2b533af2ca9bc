import { faultsFor } from '../../shared/faults.js';
import { ClaimsReporter, RunHolders } from '../../shared/runs/run-holders.js';
import { loadSseCustomerKeyFile } from '../../shared/s3/sse-c-key.js';
import { provideSseCustomerKey } from '../../shared/s3/sse-c-key-source.js';
import { processCommitFeed } from '../../shared/transparency/deployment-log.js';
import { localClaims } from '../../shared/worker/local-claims.js';
import { QueueIdleWatch } from '../../shared/worker/queue-idle-watch.js';
import { Interrupt } from '../interrupt.js';
import { queueDepth } from '../local-run.js';
import { type PollerStats, startPollers } from '../pollers.js';
import { cliRuntime } from '../runtime.js';

interface WorkerOptions {
  pollers: number;
  untilIdle?: boolean;
  idleSeconds: number;
  visibilitySeconds: number;
  sseCKeyFile?: string;
}

/**
 * Serves every pipeline queue with the Lambda handlers, with Lambda's SQS semantics: batches of up
 * to ten, partial batch failure, visibility timeout, redelivery, DLQ after max receives. SIGINT or
 * SIGTERM stops receiving, lets in-flight batches finish, then exits 0: no message is lost, because a
 * message is deleted only after its handler succeeded. A second signal, or the end of the grace
 * period, gives up the batches in hand (their messages return to the queues at once), gives their
 * chunks back (RETRY) and exits 130 (SIGINT) or 143 (SIGTERM).
 */
export async function workerCommand(options: WorkerOptions): Promise<number> {
  const { config, clients, workQueues } = cliRuntime();
  const faults = faultsFor(config.faults);
  // Runs started with this key's fingerprint migrate SSE-C objects here; the key stays in memory.
  const customerKey = options.sseCKeyFile ? await loadSseCustomerKeyFile(options.sseCKeyFile) : undefined;
  provideSseCustomerKey(customerKey);
  if (customerKey) console.error(`worker: migrating SSE-C objects of runs with the key ${customerKey.md5}`);
  const work = await workQueues();
  const controller = new AbortController();
  const abandon = new AbortController();
  const stop = (signal: string) => {
    if (controller.signal.aborted) return;
    console.error(`worker: ${signal}: finishing in-flight batches, then exiting`);
    controller.abort();
  };
  const interrupt = new Interrupt({
    onStop: (signal, graceMs) => {
      stop(signal);
      console.error(`worker: up to ${graceMs / 1000} s; ${signal} again to stop in-flight jobs now`);
    },
    onForce: () => {
      console.error('worker: stopping in-flight jobs: their messages go back to the queues');
      abandon.abort();
    },
  }).install();
  const stats: PollerStats = { batches: 0, messages: 0, failed: 0 };
  const concurrency = options.pollers;
  console.error(
    `worker: serving scan, encrypt, events, rewrap and large-object queues (${concurrency} pollers each but scan, ` +
      `${concurrency} spare pollers each on encrypt, events and rewrap; up to ${concurrency * 10} objects in flight per queue)`,
  );
  const running = startPollers({
    sqs: clients.sqs,
    queues: work,
    concurrency,
    signal: controller.signal,
    abandon: abandon.signal,
    stats,
    visibilitySeconds: options.visibilitySeconds,
    faults,
  });
  const report = setInterval(() => {
    console.error(
      `worker: ${stats.messages} messages in ${stats.batches} batches, ${stats.failed} failed (will retry)`,
    );
  }, 5000);
  const reporter = new ClaimsReporter(localClaims(), new RunHolders(clients.dynamo, config.ledgerTable));
  const quiet = new QueueIdleWatch({
    depth: () => queueDepth(clients.sqs, [work.scan, work.encrypt, work.events, work.rewrap, work.large]),
    handled: () => stats.batches,
  });
  // Committed chunks become leaves in batches; a quiet worker still appends them within 30 s.
  const sequencing = processCommitFeed(clients, config);
  while (!controller.signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await reporter.tick();
    await sequencing.afterBatch();
    if (!options.untilIdle || controller.signal.aborted) continue;
    const quietMs = await quiet.quietMs();
    if (quietMs !== undefined && quietMs >= options.idleSeconds * 1000) stop('queues idle');
  }
  await running;
  interrupt.dispose();
  clearInterval(report);
  customerKey?.destroy();
  // Chunks given up in flight are still claimed: give them back, so no one waits out their lease.
  const released = abandon.signal.aborted ? await localClaims().releaseAll('worker stopped') : 0;
  await reporter.flush().catch(() => undefined);
  await sequencing
    .flush()
    .catch((error) =>
      console.error(`worker: warning: the transparency log was not updated: ${(error as Error).message}`),
    );
  console.error(
    `worker: stopped after ${stats.messages} messages, ${stats.failed} failed` +
      (released > 0 ? `; gave back ${released} chunk(s) stopped in flight` : ''),
  );
  if (faults.enabled) console.error(faults.report());
  // A graceful stop (every batch in hand finished) is a worker's normal end; a forced one is not.
  return abandon.signal.aborted ? (interrupt.exitCode ?? 1) : 0;
}
