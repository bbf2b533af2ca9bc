import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { recordsOfRun } from '../shared/audit/audit-records.js';
import { RunCloser } from '../shared/audit/run-digest.js';
import { handlerRuntime } from '../shared/handler-runtime.js';
import type { QueueUrls } from '../shared/queues.js';
import { recountFromAudit } from '../shared/runs/recount.js';
import { type Run, RunStore, settled } from '../shared/runs/run-store.js';
import { displayS3Uri } from '../shared/s3-uri.js';
import { startPollers } from './pollers.js';
import { createRunProgress } from './progress.js';
import { printSummary } from './summary.js';
import { reportVersionsLeft } from './versions-left.js';

export interface LocalRunOptions {
  sqs: SQSClient;
  runs: RunStore;
  queues: QueueUrls;
  runId: string;
  /** Encrypt pollers; each handles a batch of up to ten objects in parallel. */
  concurrency: number;
  onProgress?: (run: Run) => void;
  /** Stop when the queues have been empty this long without the run completing (a stuck run). */
  idleMs?: number;
}

export interface LocalRunResult {
  run: Run;
  /** Objects discovered whose job never settled (their messages went to a DLQ). */
  unsettled: number;
}

/** Messages waiting or in flight across `queueUrls`. */
export async function queueDepth(sqs: SQSClient, queueUrls: string[]): Promise<number> {
  const depths = await Promise.all(
    queueUrls.map(async (QueueUrl) => {
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const a = out.Attributes ?? {};
      return (
        Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    }),
  );
  return depths.reduce((sum, n) => sum + n, 0);
}

/**
 * Processes a run in this process with the same handlers the Lambdas run, fed by pollers with
 * Lambda's SQS semantics, until every discovered object has settled (or the queues stay empty
 * without that happening, which means some jobs ended in a dead-letter queue).
 */
export async function runLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const { sqs, runs, queues, runId } = options;
  const controller = new AbortController();
  const pollers = startPollers({ sqs, queues, concurrency: options.concurrency, signal: controller.signal });
  let run: Run | undefined;
  let idleSince: number | undefined;
  let recountedOnce = false;
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      run = await runs.get(runId);
      if (!run) throw new Error(`run ${runId} not found`);
      options.onProgress?.(run);
      if (run.scanComplete && settled(run.counts) >= run.discovered) break;
      const depth = await queueDepth(sqs, [queues.scan, queues.encrypt, queues.rewrap]);
      if (depth > 0) {
        idleSince = undefined;
      } else if (idleSince === undefined) {
        idleSince = Date.now();
      } else if (Date.now() - idleSince > (options.idleMs ?? 5000)) {
        // Quiet but short of settled: counters can fall short after a worker died mid-batch.
        // The audit trail has the true tally; if it settles the run, the run is done.
        const { config, clients } = handlerRuntime();
        const recounted = await recountFromAudit(clients.dynamo, config.auditTable, runs, runId);
        if (recounted && settled(recounted.counts) > settled(run.counts) && !recountedOnce) {
          recountedOnce = true;
          idleSince = undefined;
          continue;
        }
        break;
      }
    }
  } finally {
    controller.abort();
    await pollers;
  }
  const final = (await runs.get(runId)) ?? run!;
  // Close the run with its audit digest if the handlers' last batch did not already.
  const { config, clients } = handlerRuntime();
  await new RunCloser(clients.dynamo, config.auditTable, runs).closeIfComplete(final);
  options.onProgress?.(final);
  return { run: final, unsettled: Math.max(0, final.discovered - settled(final.counts)) };
}

/**
 * The `--local` part of `encrypt` and `rewrap`: process a started run in this process with a
 * progress bar, print its summary, and return the exit code.
 */
export async function followRunLocally(
  run: Run,
  options: { label: string; concurrency: number; progress?: boolean },
): Promise<number> {
  const { config, clients, queues } = handlerRuntime();
  const { work } = await queues();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  const progress = options.progress === false ? undefined : createRunProgress(options.label);
  const started = Date.now();
  let result: LocalRunResult;
  try {
    result = await runLocally({
      sqs: clients.sqs,
      runs,
      queues: work,
      runId: run.runId,
      concurrency: Number(options.concurrency),
      onProgress: (r) => progress?.update(r),
    });
  } finally {
    progress?.stop();
  }
  const exitCode = printSummary(result.run, result.unsettled, (Date.now() - started) / 1000);
  if (result.run.counts.failed > 0) await printFailures(run.runId);
  if (run.mode !== 'rewrap') await reportVersionsLeft(clients.s3, run, { list: false, limit: 10_000 });
  return exitCode;
}

/** Names every object that failed, with its reason, from the run's audit records. */
async function printFailures(runId: string, limit = 100): Promise<void> {
  const { config, clients } = handlerRuntime();
  let shown = 0;
  let more = 0;
  for await (const record of recordsOfRun(clients.dynamo, config.auditTable, runId, ['failed'])) {
    if (shown++ < limit)
      console.log(`  failed: ${displayS3Uri(record)}: ${record.reason ?? record.error ?? ''}`);
    else more++;
  }
  if (more > 0) console.log(`  ... and ${more} more (s3-seal's audit table, index byRun, run ${runId})`);
}
