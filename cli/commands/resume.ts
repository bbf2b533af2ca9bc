import { ConfigError } from '../../shared/errors.js';
import { runStatus } from '../../shared/runs/run-status.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { followRunLocally } from '../local-run.js';
import { cliRuntime } from '../runtime.js';

interface ResumeOptions {
  pollers: number;
  progress?: boolean;
}

/**
 * Completes a run whose local worker was interrupted or died: serves the queues here, as
 * `encrypt --local` does after starting, until the run's counters (its chunk commits) settle every
 * object it discovered. It reads the run record and the queues only: an interrupted process gave its
 * chunks back (RETRY), so their messages are claimed at once; a chunk a killed process still holds
 * is given back and taken over as soon as its message comes back, once that process is proven gone
 * (docs/architecture.md, "Deadlines and leases"; docs/commands.md, "Interrupting and resuming").
 */
export async function resumeCommand(runId: string, options: ResumeOptions): Promise<number> {
  const { config, clients } = cliRuntime();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  const run = await runs.get(runId);
  if (!run) throw new ConfigError(`run ${runId} not found (\`s3-seal status --list\` shows recent runs)`);
  if (run.watch) {
    // It never completes: following it would serve the queues until they go quiet, for nothing.
    throw new ConfigError(
      `run ${runId} is a live-enforcement run: its events are handled as they arrive (deployed functions or \`s3-seal worker\`); there is nothing to resume`,
    );
  }
  const status = runStatus(run);
  console.error(
    `run ${run.runId}: ${run.mode} for s3://${run.bucket}/${run.prefix}: ${status.state}, ` +
      `${status.settled}/${run.discovered}${run.scanComplete ? '' : '+'} objects settled`,
  );
  return followRunLocally(run, {
    label: run.mode === 'rewrap' ? 're-wrapping' : 'encrypting',
    concurrency: options.pollers,
    progress: options.progress,
  });
}
