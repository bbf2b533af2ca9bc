import { deploymentChunkSource } from '../shared/audit/deployment-chunk-source.js';
import { eventChunkExpiry } from '../shared/audit/expired-event-log.js';
import type { TrailDeps } from '../shared/audit/verify-trail.js';
import { RunStore } from '../shared/runs/run-store.js';
import { cliRuntime } from './runtime.js';

/**
 * The audit trail as the record commands read it (docs/audit.md): chunk items and chunk logs, and
 * the old tables for trails written before chunks.
 */
export function auditTrail(): TrailDeps & { runs: RunStore } {
  const { config, clients } = cliRuntime();
  return {
    expiry: eventChunkExpiry(new Date(), config.testEventChunkTtlSeconds),
    source: deploymentChunkSource(clients, config),
    runs: new RunStore(clients.dynamo, config.ledgerTable),
    legacy: { dynamo: clients.dynamo, auditTable: config.auditTable, ledgerTable: config.ledgerTable },
  };
}
