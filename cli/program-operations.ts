import { type Command, Option } from 'commander';
import { QUEUES } from '../shared/queue-names.js';
import { lazy } from './lazy-action.js';
import { keepOlderNames } from './option-aliases.js';
import { integerIn, parseConcurrency, parseVisibilitySeconds, secondsIn } from './option-parsers.js';

/**
 * `--pollers` of `worker` and `resume`: what one unit buys (cli/pollers.ts). The objects in flight
 * are bounded per process, not per batch (shared/worker/object-lanes.ts).
 */
export const QUEUE_POLLERS_HELP =
  'pollers per queue (encrypt, events, rewrap, large objects; scans have one): at most ten objects in flight per poller over all the chunks this process holds, and as many spare pollers that take one chunk at a time while there is room; large objects one at a time';

/**
 * The commands that operate the pipeline rather than a run: `worker`, `dlq list|redrive` and
 * `demo` (their implementations load only when they run, like every command: cli/program.ts).
 */
export function addOperationCommands(program: Command): void {
  const worker = program
    .command('worker')
    .description('serve the pipeline queues with the Lambda handlers, anywhere (a container, a laptop, CI)')
    .option('--pollers <n>', QUEUE_POLLERS_HELP, parseConcurrency, 4)
    .option('--until-idle', 'exit once every queue has been empty for --idle-seconds')
    .option(
      '--idle-seconds <s>',
      'with --until-idle: seconds every queue must stay empty before exiting',
      secondsIn(0, 86_400),
      5,
    )
    .option(
      '--visibility-seconds <s>',
      'how long a received batch stays hidden from other workers',
      parseVisibilitySeconds,
      300,
    )
    .option('--sse-c-key-file <file>', 'the customer key (raw or base64) for runs that migrate SSE-C objects')
    .action(
      lazy(async () => {
        // One line per object (`job done`, `event handled`, `rewrap done`) unless a level was set:
        // a worker is followed by its log. Set before the handlers' logger loads, because each
        // invocation resets the logger to the level it was created with.
        if (!process.env.POWERTOOLS_LOG_LEVEL) process.env.S3SEAL_LOG_LEVEL ??= 'INFO';
        return (await import('./commands/worker.js')).workerCommand;
      }),
    );
  keepOlderNames(worker, [['--concurrency <n>', '--pollers']]);

  const dlq = program.command('dlq').description('inspect and redrive the dead-letter queues');
  const queueOption = () => new Option('--queue <queue>', 'only this queue').choices(QUEUES);
  dlq
    .command('list')
    .description('show the messages in the dead-letter queues and why they failed')
    .addOption(queueOption())
    .action(lazy(async () => (await import('./commands/dlq.js')).listCommand));
  dlq
    .command('redrive')
    .description('move dead-lettered messages back to their queues')
    .addOption(queueOption())
    .action(lazy(async () => (await import('./commands/dlq.js')).redriveCommand));

  program
    .command('demo')
    .description('seed a bucket on the local stack, encrypt it in envelope mode, verify it (npm run demo)')
    .option('--objects <n>', 'objects to seed', integerIn(1, 1_000_000), 1000)
    .action(lazy(async () => (await import('./commands/demo.js')).demoCommand));
}
