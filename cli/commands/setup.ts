import type { Command } from 'commander';
import { ensureQueues, ensureTables } from '../../shared/infra/provision.js';
import { cliRuntime } from '../runtime.js';

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('create, idempotently, the queues (with dead-letter queues) and tables the pipeline needs')
    .action(async () => {
      const { config, clients } = cliRuntime();
      const queues = await ensureQueues(clients.sqs, config);
      const tables = await ensureTables(clients.dynamo, config);
      for (const r of [...queues, ...tables]) {
        console.log(
          `${r.kind.padEnd(5)}  ${r.name.padEnd(28)}  ${r.status === 'created' ? 'created' : 'ok'}  ${r.id}`,
        );
      }
    });
}
