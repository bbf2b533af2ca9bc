import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { isComplete } from '../shared/audit/run-digest.js';
import { DynamoDbChunkStore } from '../shared/chunks/dynamodb-chunk-store.js';
import { handlerRuntime } from '../shared/handler-runtime.js';
import { manifestCloser } from '../shared/manifests/close-manifests.js';
import type { QueueUrls } from '../shared/queues.js';
import { driveRun } from '../shared/runs/driven-runs.js';
import { ClaimsReporter, RunHolders } from '../shared/runs/run-holders.js';
import { type Run, RunStore, settled } from '../shared/runs/run-store.js';
import { processShardPool } from '../shared/runs/shard-pool.js';
import type { RunTally } from '../shared/runs/tally-shards.js';
import { processCommitFeed } from '../shared/transparency/deployment-log.js';
import { localClaims } from '../shared/worker/local-claims.js';
import { queueCounts } from '../shared/worker/queue-counts.js';
import { QueueIdleWatch } from '../shared/worker/queue-idle-watch.js';
import { envelopeReadersSummary } from './envelope-readers.js';
import { Interrupt, type StopSignal } from './interrupt.js';
import { printInterrupted } from './interrupted-report.js';
import { type PollerStats, startPollers } from './pollers.js';
import { printFailures } from './print-failures.js';
import { createRunProgress } from './progress.js';
import { RunLooks } from './run-looks.js';
import { printSummary } from './summary.js';
import { reportVersionsLeft } from './versions-left.js';

/**
 * How often a local run wakes up, and it also wakes at each of this process's commits; it looks at
 * its run's counts only when RunLooks says so. A wake costs no request, and the look that finds the
 * run complete follows the last commit made here at once (another process's, within this long).
 */
const POLL_MS = 50;

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
  /** How long a received batch stays hidden from other pollers (default 120 s). */
  visibilitySeconds?: number;
  /** SIGINT/SIGTERM: stop taking work, let (or, once forced, stop letting) in-flight jobs finish. */
  interrupt?: Interrupt;
  /** The run's mode when the caller knows it (its queue: encrypt or rewrap); else it is read. */
  mode?: Run['mode'];
}

export interface LocalRunResult {
  run: Run;
  /** Objects discovered whose job never settled (their messages went to a DLQ). */
  unsettled: number;
  /** Set when a signal stopped the run: which, and how many chunks stopped in flight were given back. */
  interrupted?: { signal: StopSignal; released: number };
}

/** Messages waiting or in flight across `queueUrls`. */
export async function queueDepth(sqs: SQSClient, queueUrls: string[]): Promise<number> {
  const { queued, inFlight } = await queueCounts(sqs, queueUrls);
  return queued + inFlight;
}

/**
 * Processes a run in this process with the same handlers the Lambdas run, fed by pollers with
 * Lambda's SQS semantics, until every discovered object has settled (or the queues stay empty
 * without that happening, which means some jobs ended in a dead-letter queue).
 */
export async function runLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const { sqs, runs, queues, runId, interrupt } = options;
  // A run's chunks are on one object queue: an encrypt run's or a rewrap run's (its large objects
  // and scan pages on theirs); the other queues are not its, and idle pollers cost receives.
  const mode = options.mode ?? (await runs.get(runId))?.mode;
  const kind = mode === 'rewrap' ? 'rewrap' : 'encrypt';
  const controller = new AbortController();
  const abandon = new AbortController();
  // Once a look shows the run's scan complete, no scan page of it is left: its idle scan poller
  // would only cost receives (docs/architecture.md, "Flow", polling cost).
  const scanned = new AbortController();
  const stats: PollerStats = { batches: 0, messages: 0, failed: 0 };
  const claims = localClaims();
  const looks = new RunLooks(Date.now());
  const local = () => ({
    now: Date.now(),
    batches: stats.batches,
    claims: claims.byRun().get(runId)?.claims ?? 0,
    committed: claims.committed(runId),
  });
  // Every object of the run counted or held here: none of its chunks is left on the queues, so the
  // pollers send no receive (each would hold the run's end for its long poll, up to a second) until
  // a chunk given back or another process's work makes the sum fall short (docs/architecture.md,
  // "Flow", end of a local run). Counts come from the last look plus this process's own commits.
  const allInHand = () => {
    const run = looks.estimate(local());
    return run?.scanComplete === true && settled(run.counts) + claims.heldObjects(runId) >= run.discovered;
  };
  const pollers = startPollers({
    sqs,
    queues,
    serve: [kind],
    concurrency: options.concurrency,
    signal: controller.signal,
    abandon: abandon.signal,
    holdOff: allInHand,
    scanSignal: scanned.signal,
    visibilitySeconds: options.visibilitySeconds,
    stats,
  });
  const quiet = new QueueIdleWatch({
    depth: () => queueDepth(sqs, [queues.scan, queues.encrypt, queues.rewrap, queues.large]),
    handled: () => stats.batches,
  });
  const { config, clients } = handlerRuntime();
  // Who holds this run's chunks, for `status`: this process reports its own as it works.
  const reporter = new ClaimsReporter(localClaims(), new RunHolders(clients.dynamo, config.ledgerTable));
  let run: Run | undefined;
  // The look that found the run complete: its consistent read is what the close goes on.
  let complete: { run: Run; tally: RunTally } | undefined;
  const undrive = driveRun(runId);
  try {
    let shown: Run | undefined;
    for (;;) {
      await Promise.race([
        sleep(POLL_MS, undefined, { signal: interrupt?.stop }).catch(() => undefined),
        claims.nextCommit(),
      ]);
      if (interrupt?.stop.aborted) break;
      await reporter.tick();
      const state = local();
      if (!looks.due(state)) {
        // Between looks the progress line shows the last look plus this process's own commits.
        const estimate = looks.estimate(state);
        if (estimate && settled(estimate.counts) !== settled(shown?.counts ?? estimate.counts)) {
          shown = estimate;
          options.onProgress?.(estimate);
        }
        continue;
      }
      // Each look is a consistent Query of the run and its tally shards (RunLooks: when).
      const found = await runs.getWithTally(runId);
      if (!found) throw new Error(`run ${runId} not found`);
      run = found.run;
      looks.looked(run, state);
      if (run.scanComplete) scanned.abort();
      shown = run;
      options.onProgress?.(run);
      if (isComplete(run, found.tally)) {
        complete = found;
        break;
      }
      // Its scan can never finish (a data file that does not read): stop now, not when idle.
      if (run.scanFailed) break;
      if (((await quiet.quietMs()) ?? 0) > (options.idleMs ?? 5000)) {
        // Quiet but short of settled: counts are exact (each chunk commit counts its records), so
        // the chunks missing ended in a dead-letter queue.
        break;
      }
    }
  } finally {
    controller.abort();
    // In-flight chunks finish unless the interrupt is forced (a second signal, or its grace period
    // ran out): then their messages go back to the queues and the chunks are given back below.
    if (interrupt && (await Promise.race([pollers, interrupt.forced().then(() => 'forced')])) === 'forced')
      abandon.abort();
    await pollers;
    undrive();
  }
  let interrupted: LocalRunResult['interrupted'];
  if (interrupt?.received) {
    const released = await localClaims().releaseAll(`interrupted by ${interrupt.received}`);
    interrupted = { signal: interrupt.received, released };
  }
  // A complete run's holder reports are never shown (`status` shows them for unfinished runs only).
  await reporter.flush(complete ? new Set([runId]) : undefined).catch(() => undefined);
  // Close the run with its tally's digest (its driver's job: see driveRun), from the look that
  // found it complete; the run as it stands after is known then, else read once.
  const chunks = new DynamoDbChunkStore(
    clients.dynamo,
    config.ledgerTable,
    processShardPool(config.tallyShards),
  );
  // The run's committed chunks become leaves of the transparency log before it closes, so its close
  // finds none without a leaf (docs/architecture.md, "Transparency log").
  const sequencing = processCommitFeed(clients, config);
  await sequencing.flush().catch((error) => warnLogBehind(error));
  const closer = manifestCloser(runs, clients.s3, config.auditLocation, chunks, sequencing);
  const closing = await closer.close(runId, complete);
  const final = closing.run ?? (await runs.get(runId)) ?? run!;
  options.onProgress?.(final);
  return { run: final, unsettled: Math.max(0, final.discovered - settled(final.counts)), interrupted };
}

/** The objects are done and recorded; only the log lags, and `audit verify --all` will say so. */
function warnLogBehind(error: unknown): void {
  console.error(
    `s3-seal: warning: the transparency log was not updated: ${(error as Error).message} ` +
      '(the run and its audit trail are complete; `s3-seal audit verify --all` names the chunks not yet in the log)',
  );
}

/**
 * The `--local` part of `encrypt` and `rewrap`: process a started run in this process with a
 * progress bar, print its summary, and return the exit code.
 */
export async function followRunLocally(
  run: Run,
  options: {
    label: string;
    concurrency: number;
    progress?: boolean;
    /** A re-wrap's source key ARNs: the summary names them in full on their count lines. */
    sourceKeys?: string[];
  },
): Promise<number> {
  const { config, clients, workQueues } = handlerRuntime();
  const work = await workQueues();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  const progress = options.progress === false ? undefined : createRunProgress(options.label);
  const started = Date.now();
  const interrupt = new Interrupt({
    onStop: (signal, graceMs) => {
      progress?.stop();
      console.error(
        `\ns3-seal: ${signal}: taking no new work; letting in-flight jobs finish (up to ${graceMs / 1000} s, ` +
          `${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to stop them now)`,
      );
    },
    onForce: () => console.error('s3-seal: stopping in-flight chunks and giving them back'),
  }).install();
  let result: LocalRunResult;
  try {
    result = await runLocally({
      sqs: clients.sqs,
      runs,
      queues: work,
      runId: run.runId,
      mode: run.mode,
      concurrency: Number(options.concurrency),
      visibilitySeconds: config.localVisibilitySeconds,
      onProgress: (r) => {
        if (!interrupt.received) progress?.update(r);
      },
      interrupt,
    });
  } finally {
    progress?.stop();
    interrupt.dispose();
  }
  // A signal that came as the last job settled interrupted nothing: report the run as complete.
  if (result.interrupted && !(result.run.scanComplete && result.unsettled === 0)) {
    printInterrupted(result.run, result.interrupted.released);
    return interrupt.exitCode!;
  }
  const exitCode = printSummary(
    result.run,
    result.unsettled,
    (Date.now() - started) / 1000,
    options.sourceKeys,
  );
  if (result.run.scanFailed) {
    console.error(`s3-seal: error: run failed: ${result.run.scanFailed}`);
    return 1;
  }
  if (result.run.format) console.log(envelopeReadersSummary(result.run.format).join('\n'));
  if (result.run.counts.failed > 0) await printFailures(run.runId);
  if (run.mode !== 'rewrap') await reportVersionsLeft(clients.s3, run, { list: false, limit: 10_000 });
  if (!result.run.scanComplete) {
    // Its count of objects is not final: a scan page job went to a dead-letter queue or was lost.
    console.log('  scan unfinished: not every page was listed (see `s3-seal dlq list`)');
    return 1;
  }
  return exitCode;
}
