import { AliasTargets } from '../shared/rewrap/alias-targets.js';
import type { RotationPlannerDeps } from '../shared/rewrap/rotation-planner.js';
import { RunStore } from '../shared/runs/run-store.js';
import { cliRuntime } from './runtime.js';

/** What the rewrap planner needs, built from the CLI's configuration and clients. */
export async function plannerDeps(): Promise<RotationPlannerDeps> {
  const { config, clients, queues } = cliRuntime();
  const { work } = await queues();
  return {
    dynamo: clients.dynamo,
    sqs: clients.sqs,
    s3: clients.s3,
    kms: clients.kms,
    runs: new RunStore(clients.dynamo, config.ledgerTable),
    aliases: new AliasTargets(clients.dynamo, config.ledgerTable),
    ledgerTable: config.ledgerTable,
    rewrapQueueUrl: work.rewrap,
    now: () => new Date(),
  };
}
