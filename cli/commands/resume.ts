import type { Command } from 'commander';
import { ConfigError } from '../../shared/errors.js';
import { runStatus } from '../../shared/runs/run-status.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { followRunLocally } from '../local-run.js';
import { cliRuntime } from '../runtime.js';

interface ResumeOptions {
  concurrency: string;
  progress?: boolean;
}

/**
 * Completes a run whose local worker was interrupted or died: serves the queues here, as
 * `encrypt --local` does after starting, until the run completes. Jobs the dead process held are
 * taken over once its process is proven gone (docs: README, "Interrupting and resuming").
 */
async function resumeCommand(runId: string, options: ResumeOptions): Promise<number> {
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100)
    throw new ConfigError(
      `--concurrency: expected a whole number from 1 to 100, got "${options.concurrency}"`,
    );
  const { config, clients } = cliRuntime();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  const run = await runs.get(runId);
  if (!run) throw new ConfigError(`run ${runId} not found (\`s3-seal status --list\` shows recent runs)`);
  const status = runStatus(run);
  console.error(
    `run ${run.runId}: ${run.mode} for s3://${run.bucket}/${run.prefix}: ${status.state}, ` +
      `${status.settled}/${run.discovered}${run.scanComplete ? '' : '+'} objects settled`,
  );
  return followRunLocally(run, {
    label: run.mode === 'rewrap' ? 're-wrapping' : 'encrypting',
    concurrency: options.concurrency,
    progress: options.progress,
  });
}

export function registerResume(program: Command): void {
  program
    .command('resume')
    .description('complete a run whose local worker was interrupted or died, processing it in this process')
    .argument('<run-id>', 'the run to complete, as `encrypt`, `rewrap`, `rotate` or `status` printed it')
    .option('--concurrency <n>', 'pollers per queue, each working ten objects at a time', '4')
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      [
        '',
        'Serves the pipeline queues here until the run completes, then prints its summary, like',
        '`encrypt --local`. Claims held by a local process that is gone (same host, pid no longer',
        'running) are taken over at once; objects are re-checked against S3 before any write.',
        'Exits 0 only when every object ended encrypted, already compliant, or skipped with a reason;',
        '130/143 when interrupted again (resume again to continue).',
      ].join('\n'),
    )
    .action(async (runId: string, options: ResumeOptions) => {
      process.exitCode = await resumeCommand(runId, options);
    });
}
