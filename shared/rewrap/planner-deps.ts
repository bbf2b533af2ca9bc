import { fixMembership } from '../chunks/listing-record.js';
import { handlerRuntime } from '../handler-runtime.js';
import { RunStore } from '../runs/run-store.js';
import { AliasTargets } from './alias-targets.js';
import type { RotationPlannerDeps } from './rotation-planner.js';

/** The rewrap planner's dependencies from this process's configuration and clients (Lambda or CLI). */
export async function plannerDeps(): Promise<RotationPlannerDeps> {
  const { config, clients, workQueues } = handlerRuntime();
  const work = await workQueues();
  return {
    dynamo: clients.dynamo,
    sqs: clients.sqs,
    s3: clients.s3,
    kms: clients.kms,
    runs: new RunStore(clients.dynamo, config.ledgerTable),
    aliases: new AliasTargets(clients.dynamo, config.ledgerTable),
    ledgerTable: config.ledgerTable,
    location: config.auditLocation,
    queues: work,
    largeObjectBytes: config.largeObjectBytes,
    fixMembership,
    scanQueueUrl: work.scan,
    now: () => new Date(),
  };
}
