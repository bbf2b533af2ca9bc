import { ConfigError } from '../../shared/errors.js';
import { describeLargeObject, LargeObjectProgress } from '../../shared/runs/large-object-progress.js';
import { RunHolders } from '../../shared/runs/run-holders.js';
import { type RunStatus, runStatus } from '../../shared/runs/run-status.js';
import { type Run, RunStore } from '../../shared/runs/run-store.js';
import { type RunWaiting, runWaiting } from '../../shared/runs/run-waiting.js';
import { ownerGone } from '../../shared/worker/process-identity.js';
import { queueCounts } from '../../shared/worker/queue-counts.js';
import { keyMoveLines } from '../key-moves.js';
import { cliRuntime } from '../runtime.js';

interface StatusOptions {
  watch?: boolean;
  interval: number;
  json?: boolean;
  list?: number | boolean;
}

const duration = (seconds: number) =>
  seconds < 90
    ? `${seconds.toFixed(0)} s`
    : seconds < 5400
      ? `${(seconds / 60).toFixed(1)} min`
      : `${(seconds / 3600).toFixed(1)} h`;

/** The lines `status` prints for one run. */
export function formatStatus(run: Run, status: RunStatus, waiting?: RunWaiting): string[] {
  const c = run.counts;
  const reasons = Object.entries(c.reasons).map(([reason, n]) => `${reason} ${n}`);
  const state = waiting?.stalled ? 'stalled' : status.state;
  const progress = run.watch
    ? `  ${state.padEnd(8)} ${status.settled} object(s) decided (live enforcement: each new upload is one job, no scan)`
    : `  ${state.padEnd(8)} ${status.settled}/${run.discovered}${run.scanComplete ? '' : '+'} objects (${(status.fraction * 100).toFixed(1)}%)` +
      (status.ratePerSecond ? `  ${status.ratePerSecond.toFixed(1)} objects/s` : '') +
      (status.etaSeconds !== undefined ? `  ETA ${duration(status.etaSeconds)}` : '');
  return [
    `run ${run.runId}  ${run.mode ?? 'live enforcement'}${run.keyArn ? ` -> ${run.keyArn}` : ''}  s3://${run.bucket}/${run.prefix}`,
    `  started ${run.startedAt}${run.trigger ? ` by ${run.trigger}` : ''}`,
    progress,
    `  ${run.mode === 'rewrap' ? 're-wrapped' : 'encrypted'} ${c.encrypted} · compliant ${c.compliant} · skipped ${c.skipped} · superseded ${c.superseded} · failed ${c.failed}`,
    ...(reasons.length > 0 ? [`  reasons: ${reasons.join(', ')}`] : []),
    ...keyMoveLines(run),
    ...(run.scanFailed ? [`  scan failed: ${run.scanFailed}`] : []),
    ...(waiting?.lines.map((line) => `  ${line}`) ?? []),
  ];
}

/** What an unfinished run waits for: the pipeline queues' depth and the claims local processes hold. */
async function waitingFor(run: Run, status: RunStatus): Promise<RunWaiting | undefined> {
  // Finished, failed, or a watch run: nothing queued is waiting to finish it.
  if (['done', 'failed', 'watching', 'ended'].includes(status.state)) return undefined;
  const { config, clients, workQueues } = cliRuntime();
  const work = await workQueues();
  const [counts, holders, large] = await Promise.all([
    queueCounts(clients.sqs, [work.scan, work.encrypt, work.rewrap, work.large]),
    new RunHolders(clients.dynamo, config.ledgerTable).list(run.runId),
    new LargeObjectProgress(clients.dynamo, config.ledgerTable).list(run.runId),
  ]);
  const waiting = runWaiting(run, status, counts, holders, (owner) => ownerGone(owner));
  // Large objects the worker is writing (docs/large-buckets.md): how far each has got.
  const inProgress = large.filter((entry) => entry.bytesDone < entry.totalBytes);
  if (!waiting || inProgress.length === 0) return waiting;
  return { ...waiting, lines: [...waiting.lines, ...inProgress.map(describeLargeObject)] };
}

export async function statusCommand(runId: string | undefined, options: StatusOptions): Promise<number> {
  const { config, clients } = cliRuntime();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  if (options.list) {
    const limit = options.list === true ? 10 : options.list;
    for (const id of await runs.recent(limit)) {
      const run = await runs.get(id);
      if (run) console.log(formatStatus(run, runStatus(run))[2]!.replace(/^ {2}/, `${id}  `));
    }
    return 0;
  }
  const id = runId ?? (await runs.recent(1))[0];
  if (!id) throw new ConfigError('no runs yet: start one with `s3-seal encrypt`');
  const interval = options.interval * 1000;
  let printed = 0;
  for (;;) {
    const run = await runs.get(id);
    if (!run) throw new ConfigError(`run ${id} not found`);
    const status = runStatus(run);
    const waiting = await waitingFor(run, status);
    if (options.json) {
      console.log(JSON.stringify({ ...run, status, ...(waiting ? { waiting } : {}) }));
    } else {
      const lines = formatStatus(run, status, waiting);
      // Redraw in place on a terminal; elsewhere (logs, CI) print each refresh below the last.
      if (printed > 0 && process.stdout.isTTY) process.stdout.write(`\x1b[${printed}A\x1b[0J`);
      console.log(lines.join('\n'));
      printed = lines.length;
    }
    if (!options.watch || ['done', 'failed', 'ended'].includes(status.state)) return 0;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
