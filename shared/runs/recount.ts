import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditDecision } from '../audit/audit-log.js';
import { recordsOfRun } from '../audit/audit-records.js';
import { counterReason, type Outcome, type Run, type RunStore, tally } from './run-store.js';

const OUTCOME_OF: Record<AuditDecision, Outcome> = {
  encrypted: 'encrypted',
  rewrapped: 'encrypted',
  compliant: 'compliant',
  skipped: 'skipped',
  superseded: 'superseded',
  failed: 'failed',
};

/**
 * Re-derives a run's counters from its audit records, the authoritative tally: exactly one record
 * per job outcome, written before the ledger finishes the job. The per-batch counters can fall
 * short when a worker dies mid-batch (its finished jobs come back as duplicates, which are never
 * counted twice, so never counted at all); a quiet run that looks unfinished is recounted here.
 */
export async function recountFromAudit(
  dynamo: DynamoDBDocumentClient,
  auditTable: string,
  runs: RunStore,
  runId: string,
): Promise<Run | undefined> {
  const outcomes: Array<{ outcome: Outcome; reason?: string }> = [];
  for await (const record of recordsOfRun(dynamo, auditTable, runId)) {
    const outcome = OUTCOME_OF[record.decision];
    outcomes.push({ outcome, reason: record.reason && counterReason(record.reason) });
  }
  const counts = tally(outcomes);
  const run = await runs.get(runId);
  // Only a complete tally is written: while jobs are still deciding, the batch counters stand.
  if (!run?.scanComplete || outcomes.length < run.discovered) return run;
  return runs.finalizeCounts(runId, counts);
}
