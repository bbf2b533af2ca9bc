import { ConfigError } from '../../shared/errors.js';
import { type RunStatus, runStatus } from '../../shared/runs/run-status.js';
import { type Run, RunStore } from '../../shared/runs/run-store.js';
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
export function formatStatus(run: Run, status: RunStatus): string[] {
  const c = run.counts;
  const reasons = Object.entries(c.reasons).map(([reason, n]) => `${reason} ${n}`);
  return [
    `run ${run.runId}  ${run.mode}${run.keyArn ? ` -> ${run.keyArn}` : ''}  s3://${run.bucket}/${run.prefix}`,
    `  started ${run.startedAt}${run.trigger ? ` by ${run.trigger}` : ''}`,
    `  ${status.state.padEnd(8)} ${status.settled}/${run.discovered}${run.scanComplete ? '' : '+'} objects (${(status.fraction * 100).toFixed(1)}%)` +
      (status.ratePerSecond ? `  ${status.ratePerSecond.toFixed(1)} objects/s` : '') +
      (status.etaSeconds !== undefined ? `  ETA ${duration(status.etaSeconds)}` : ''),
    `  ${run.mode === 'rewrap' ? 're-wrapped' : 'encrypted'} ${c.encrypted} · compliant ${c.compliant} · skipped ${c.skipped} · superseded ${c.superseded} · failed ${c.failed}`,
    ...(reasons.length > 0 ? [`  reasons: ${reasons.join(', ')}`] : []),
  ];
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
    if (options.json) {
      console.log(JSON.stringify({ ...run, status }));
    } else {
      const lines = formatStatus(run, status);
      // Redraw in place on a terminal; elsewhere (logs, CI) print each refresh below the last.
      if (printed > 0 && process.stdout.isTTY) process.stdout.write(`\x1b[${printed}A\x1b[0J`);
      console.log(lines.join('\n'));
      printed = lines.length;
    }
    if (!options.watch || status.state === 'done') return 0;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
